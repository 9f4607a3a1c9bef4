import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Queueing: priority, slots, submission checks")
struct QueueTests {
    @Test("higher priority first, then submission order")
    func priorityOrder() async throws {
        try await withScheduler(slots: 1) { scheduler in
            let log = scheduler.directory.path + "/order"
            let gate = scheduler.gate()
            // The one slot stays taken until every job below is queued.
            let blocker = try await scheduler.submit([gate.waitScript])
            try await scheduler.waitForTask(blocker, 0, .running)
            let low = try await scheduler.submit(["echo low >> \(log)"]) { $0.priority = .low }
            let normal1 = try await scheduler.submit(["echo normal1 >> \(log)"])
            let high = try await scheduler.submit(["echo high >> \(log)"]) { $0.priority = .high }
            let normal2 = try await scheduler.submit(["echo normal2 >> \(log)"])
            gate.open()
            for job in [low, normal1, high, normal2] { try await scheduler.waitForJob(job) }
            let order = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(order == ["high", "normal1", "normal2", "low"])
        }
    }

    @Test("never more host processes than slots")
    func slotsRespected() async throws {
        try await withScheduler(slots: 2) { scheduler in
            let folder = scheduler.directory.path + "/live"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Each task counts the others alive at its start.
            let script = "touch \(folder)/$TASKMON_TASK_ID; ls \(folder) | wc -l; sleep 0.2; rm \(folder)/$TASKMON_TASK_ID"
            let job = try await scheduler.submit(Array(repeating: script, count: 8))
            try await scheduler.waitForJob(job)
            for index in 0..<8 {
                let seen = Int(try await scheduler.client.task(job, index).standardOutput?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99
                #expect(seen <= 2)
            }
        }
    }

    @Test("a program that does not exist is refused at submission; nothing is queued")
    func missingProgram() async throws {
        try await withScheduler { scheduler in
            var spec = JobSpec(tasks: [TaskSpec(command: ["true"]), TaskSpec(command: ["no-such-program-xyz", "a"])])
            spec.name = "bad"
            do {
                _ = try await scheduler.client.submit(spec)
                Issue.record("submission should have been refused")
            } catch SchedulerClientError.rpc(let error) {
                #expect(error.code == RPCErrorCode.invalidSpec.rawValue)
                #expect(error.message.contains("tasks[1].command[0]"))
                #expect(error.message.contains("no-such-program-xyz"))
            }
            #expect(try await scheduler.client.jobs().isEmpty)
        }
    }

    @Test("a malformed submit request is refused with the key named")
    func malformedSpecOnTheWire() async throws {
        try await withScheduler { scheduler in
            struct LooseSpec: Codable, Sendable { var tasks: [[String: [String]]]; var bogus: Int }
            do {
                let _: SubmitResult = try await scheduler.client.call(
                    .submit, ["spec": LooseSpec(tasks: [["command": ["true"]]], bogus: 1)], as: SubmitResult.self)
                Issue.record("should have been refused")
            } catch SchedulerClientError.rpc(let error) {
                #expect(error.message.contains("bogus"))
            }
            #expect(try await scheduler.client.jobs().isEmpty)
        }
    }

    @Test("status reports slots, queue and counts")
    func status() async throws {
        try await withScheduler(slots: 1) { scheduler in
            let job = try await scheduler.submit(["sleep 30", "true", "true"])
            try await scheduler.waitForTask(job, 0, .running)
            let status = try await scheduler.client.status()
            #expect(status.slots == 1)
            #expect(status.busySlots == 1)
            #expect(status.queued == 2)
            #expect(status.statusCounts["RUNNING"] == 1)
            #expect(status.statusCounts["SUBMITTED"] == 2)
            try await scheduler.client.cancel(job)
        }
    }

    @Test("output is read by range")
    func outputByRange() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["seq 1 100000"])
            try await scheduler.waitForJob(job)
            let whole = (1...100000).map(String.init).joined(separator: "\n") + "\n"
            var collected = Data()
            var offset: Int64 = 0
            while true {
                let chunk = try await scheduler.client.readOutput(job, 0, stream: .stdout, offset: offset, length: 65536)
                #expect(chunk.size == Int64(whole.utf8.count))
                if chunk.data.isEmpty { #expect(chunk.complete); break }
                collected.append(chunk.data)
                offset += Int64(chunk.data.count)
            }
            #expect(collected == Data(whole.utf8))
            let capped = try await scheduler.client.task(job, 0, outputCap: 1000)
            #expect(capped.standardOutput?.utf8.count == 1000)
            #expect(capped.standardOutputTruncated == true)
            #expect(capped.standardOutputSize == Int64(whole.utf8.count))
        }
    }
}

@Suite("Large jobs")
struct LargeJobTests {
    @Test("a job's tasks come a page at a time; the client puts a large job together")
    func paging() async throws {
        try await withScheduler(slots: 1) { scheduler in
            let gate = scheduler.gate()
            let blocker = try await scheduler.submit([gate.waitScript]) { $0.priority = .high }
            let spec = JobSpec(name: "wide", tasks: (0..<45_000).map { TaskSpec(name: "t\($0)", command: ["true"]) })
            let job = try await scheduler.client.submit(spec).jobID
            let page = try await scheduler.client.tasks(of: job, offset: 44_990, limit: 100)
            #expect(page.taskCount == 45_000)
            #expect(page.tasks?.map(\.id) == Array(44_990..<45_000))
            let whole = try await scheduler.client.job(job, includeTasks: true)
            #expect(whole.tasks?.count == 45_000)
            #expect(whole.tasks?.last?.name == "t44999")
            try await scheduler.client.cancel(job)
            gate.open()
            try await scheduler.waitForJob(blocker)
        }
    }
}
