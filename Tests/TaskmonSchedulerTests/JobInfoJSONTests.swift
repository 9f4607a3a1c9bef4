import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("The hand-written get_job answer is JSONEncoder's, byte for byte")
struct JobInfoJSONTests {
    static func task(_ index: Int, _ name: String) -> TaskInfo {
        let full = index % 2 == 0
        let at = Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 0.0137)
        var task = TaskInfo(
            jobID: JobID(index * 31), id: index, name: name, status: TaskStatus.allCases[index % TaskStatus.allCases.count],
            command: full ? ["sh", "-c", name, "a/b"] : [], attempts: index % 4, interruptedRetryAttempts: index % 3,
            pid: full ? Int32(1000 + index) : nil, submittedAt: at, assignedAt: full ? at : nil, startedAt: full ? at + 1 : nil,
            finishedAt: index % 3 == 0 ? at + 2 : nil, exitCode: full ? Int32(index % 256) : nil, signal: index % 5 == 1 ? 9 : nil,
            progress: full ? TaskProgress(percent: index % 101, info: index % 4 == 0 ? name : nil) : nil,
            result: full ? TaskResult(display: name, type: "int", encoding: "json", data: "[1, 2]") : nil,
            properties: full ? ["s": .string(name), "i": .int(-42), "f": .float(0.1), "b": .bytes(Data([0, 255, 7])), name: .int(Int64.max)] : [:],
            exception: full ? TaskException(type: "Value\"Error", message: name, trace: "line 1\nline 2/\u{1}") : nil,
            cancellationMessage: index % 3 == 1 ? "Canceled by \(name)" : nil,
            cancellationReason: CancellationReason.allCases[index % CancellationReason.allCases.count],
            warnings: full ? [name, "second"] : [])
        task.host = full ? "host pid \(index)" : nil
        task.message = index % 3 == 2 ? "Priority: \(name)" : nil
        if full {
            task.peakRSS = Int64(index) << 30
            task.cpuTime = Double(index) * 0.0137
            task.attempt = index % 4 == 0 ? 1 : nil
            task.attemptHistory = [AttemptSummary(attempt: 1, status: .failed, startedAt: at, finishedAt: at + 1, exitCode: 3, signal: nil,
                                                  exceptionType: name, peakRSS: 1 << 20, cpuTime: 0.25)]
            task.standardOutput = name + "\n"
            task.standardError = ""
            task.standardOutputTruncated = index % 4 == 0
            task.standardErrorTruncated = false
            task.standardOutputSize = Int64(index) << 33
            task.standardErrorSize = 0
        }
        return task
    }

    @Test("every field present and absent, hostile strings, with and without tasks")
    func sameBytes() throws {
        let tasks = EventJSONTests.names.enumerated().map { Self.task($0.offset, $0.element) }
            + (0..<40).map { Self.task($0 + 100, "task-\($0)") }
        for (count, warnings) in [(tasks.count, ["teardown failed: \"x\"", "/"]), (1, []), (0, ["w"])] {
            var job = JobInfo(
                id: 7, name: "job \"one\"/ 漢字", description: count == 1 ? "d\n" : nil, priority: .high, taskTimeout: count == 0 ? nil : 1.5,
                maxInterruptedRetries: 3, cancelOnTaskFailure: true, submittedAt: Date(timeIntervalSince1970: 1_800_000_000.5),
                finishedAt: count == 1 ? Date(timeIntervalSince1970: 1_800_000_100) : nil, taskCount: count,
                statusCounts: ["RUNNING": 2, "COMPLETED": count], doneCount: count, warnings: warnings,
                tasks: count == 0 ? nil : Array(tasks.prefix(count)))
            job.backend = count == 1 ? "slurm" : nil
            job.lastSeq = UInt64(count) * 1000
            let expected = try Wire.encoder().encode(RPCResponse(id: count, result: job))
            let written = try JobInfoJSON.resultLine(id: count, job)
            #expect(written == expected, "\(String(decoding: written.prefix(600), as: UTF8.self)) ≠ \(String(decoding: expected.prefix(600), as: UTF8.self))")
        }
    }

    @Test("it knows every field TaskInfo has (a new one must be written there too)")
    func everyField() {
        #expect(Mirror(reflecting: Self.task(0, "x")).children.count == JobInfoJSON.taskInfoFieldCount)
    }
}
