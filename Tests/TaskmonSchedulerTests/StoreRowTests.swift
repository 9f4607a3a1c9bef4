import Foundation
import TaskmonKit
import Testing

@testable import TaskmonScheduler

/// The rows the commit thread writes with SQLite's C API (``PreparedRow``) read back exactly as
/// they were: every column type, NULL apart from empty, and a row that cannot be written fails
/// the whole commit instead of being written in part.
@Suite("Store rows written through SQLite's C API")
struct StoreRowTests {
    static func job(_ id: JobID, tasks: [TaskState]) -> JobState {
        JobState(
            id: id, name: "rows", description: nil, priority: .normal, taskTimeout: nil, maxInterruptedRetries: 0,
            cancelOnTaskFailure: false, environment: nil, baseEnvironment: nil, host: nil, resources: nil,
            submittedAt: Date(timeIntervalSinceReferenceDate: 1_000.25), tasks: tasks)
    }

    static func task(_ job: JobID, _ index: TaskIndex) -> TaskState {
        TaskState(jobID: job, index: index, name: nil, command: ["/bin/true"], env: [:], cwd: nil, status: .submitted)
    }

    static func withStore(_ body: (Store, String) throws -> Void) throws {
        let folder = TestScheduler.makeDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try body(try Store(path: folder + "/taskmon.db"), folder + "/taskmon.db")
    }

    @Test("every column of a task reads back as written: empty is not NULL, and extremes survive")
    func everyColumnRoundTrips() throws {
        try Self.withStore { store, path in
            var first = Self.task(7, 0)
            first.name = ""  // empty, not NULL
            // Every kind of character a command's JSON must escape, or keep as it is.
            first.command = ["/bin/echo", "a\"b\\c", "\n\t\r\u{1}\u{1F}\u{7F}", "ünï 😀 \u{2028}", "", "a/b", "[\"x\"]"]
            first.cwd = "/tmp/ünï cødé"
            first.env = ["A": "1"]
            var batch = StoreBatch()
            batch.newJobs = [Self.job(7, tasks: [first, Self.task(7, 1)])]
            try store.commit(batch)

            var changed = first
            changed.status = .failed
            changed.attempts = Int(Int32.max) + 5
            changed.pid = Int32.max
            changed.exitCode = -1
            changed.signal = 9
            changed.assignedAt = Date(timeIntervalSinceReferenceDate: -12.5)
            changed.startedAt = Date(timeIntervalSinceReferenceDate: 1e9 + 0.125)
            changed.finishedAt = Date(timeIntervalSinceReferenceDate: 1e9 + 1)
            changed.progress = TaskProgress(percent: 100, info: "")
            changed.exception = TaskException(type: "ValueError", message: "bad \u{1F600}", trace: "line 1\nline 2")
            changed.cancellationMessage = ""
            changed.message = "exited 1"
            changed.host = "node-1"
            changed.runDetail = RunDetail(pid: 42, backendID: "17_3", place: "node-1")
            changed.peakRSS = Int64.max
            changed.cpuTime = 0.000_001
            changed.warnings = ["w", "a \"quoted\" one\n"]
            var update = StoreBatch()
            update.tasks = [changed.key: changed]
            update.events = [EncodedEvent(seq: 1, time: Date(timeIntervalSinceReferenceDate: 5), json: Data(#"{"seq":1}"#.utf8))]
            try store.commit(update)

            let loaded = try Store(path: path).load()
            let tasks = try #require(loaded.jobs.first { $0.id == 7 }?.tasks)
            let back = try #require(tasks.first { $0.index == 0 })
            #expect(back.name == "")
            #expect(back.command == first.command)
            #expect(back.cwd == "/tmp/ünï cødé")
            #expect(back.env == ["A": "1"])
            #expect(back.status == .failed)
            #expect(back.attempts == Int(Int32.max) + 5)
            #expect(back.pid == Int32.max)
            #expect(back.exitCode == -1)
            #expect(back.signal == 9)
            #expect(back.submittedAt == nil)
            #expect(back.assignedAt == changed.assignedAt)
            #expect(back.startedAt == changed.startedAt)
            #expect(back.finishedAt == changed.finishedAt)
            #expect(back.progress == TaskProgress(percent: 100, info: ""))
            #expect(back.exception == changed.exception)
            #expect(back.cancellationMessage == "")
            #expect(back.message == "exited 1")
            #expect(back.host == "node-1")
            #expect(back.runDetail == changed.runDetail)
            #expect(back.peakRSS == Int64.max)
            #expect(back.cpuTime == 0.000_001)
            #expect(back.warnings == changed.warnings)
            // The untouched task keeps its NULLs.
            let other = try #require(tasks.first { $0.index == 1 })
            #expect(other.name == nil && other.cwd == nil && other.pid == nil && other.message == nil)
            #expect(loaded.lastSeq == 1)
        }
    }

    @Test("a row that cannot be written fails the commit, and nothing of that commit is kept")
    func aFailedRowRollsTheCommitBack() throws {
        try Self.withStore { store, path in
            var batch = StoreBatch()
            batch.newJobs = [Self.job(3, tasks: [Self.task(3, 0)])]
            try store.commit(batch)
            // A new job whose second task row collides with a stored one (their key): the job's
            // own row and its first task's are written before the collision.
            var again = StoreBatch()
            again.newJobs = [Self.job(4, tasks: [Self.task(4, 0), Self.task(3, 0)])]
            again.events = [EncodedEvent(seq: 9, time: Date(), json: Data("{}".utf8))]
            #expect(throws: (any Error).self) { try store.commit(again) }
            let loaded = try Store(path: path).load()
            #expect(loaded.jobs.map(\.id) == [3], "job 4 was written by a commit that failed")
            #expect(loaded.lastSeq == 0)
        }
    }
}
