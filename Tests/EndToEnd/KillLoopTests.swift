import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("kill -9 over and over, with the real binary")
struct KillLoopTests {
    @Test("8 rounds of kill -9 while tasks start and finish: every task ends COMPLETED and no attempt number runs twice")
    func noAttemptRunsTwice() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(slots: 2)
            // Each run writes its task and attempt first, then works a little: a crash can catch
            // it started and not yet recorded, running, or finished.
            let log = scheduler.directory.path + "/runs.log"
            let tasks = (0..<40).map { _ in
                TaskSpec(command: ["sh", "-c", "echo \"$TASKMON_TASK_ID $TASKMON_ATTEMPT\" >> \(log); sleep 0.1"])
            }
            var spec = JobSpec(name: "crashy", tasks: tasks)
            spec.maxInterruptedRetries = 20
            let job = try scheduler.client().submit(spec).jobID
            for round in 0..<8 {
                usleep(UInt32(150_000 + round * 37_000))
                scheduler.crash()
                try scheduler.start(slots: 2)
            }
            let done = try scheduler.waitForJob(job)
            #expect(done.count(.completed) == 40, "\(done.statusCounts)")
            let lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
            let runs = lines.map(String.init)
            #expect(Set(runs).count == runs.count, "an attempt ran twice: \(Dictionary(grouping: runs, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted())")
            // Every attempt a task's record counts did run, and none ran that it does not count.
            for task in done.tasks ?? [] {
                let attempts = runs.filter { $0.hasPrefix("\(task.id) ") }.compactMap { Int($0.split(separator: " ")[1]) }
                #expect(attempts.max() == task.attempts, "task \(task.id): ran \(attempts), recorded \(task.attempts)")
            }
            #expect(try scheduler.taskmon("status").status == 0)
        }
    }

    @Test("a run started but never recorded (the crash came before its commit) is found, killed, and counted")
    func unrecordedRunIsFound() async throws {
        try await offPool {
            try withOneSlotSchedulerAndSQLite { scheduler in
                let pidFile = scheduler.directory.path + "/run.pid"
                let spec = JobSpec(name: "unrecorded", tasks: [
                    TaskSpec(command: ["sh", "-c", "[ \"$TASKMON_ATTEMPT\" = 1 ] && echo $$ > \(pidFile); exec sleep 60"]),
                ])
                let job = try scheduler.client().submit(spec).jobID
                let first = try EscapeTests.pid(in: pidFile)
                scheduler.crash()
                // As if the crash had come before the RUNNING row was committed: the database says
                // the task never started.
                let forget = "UPDATE tasks SET status = 1, attempts = 0, pid = NULL, started_at = NULL, assigned_at = NULL WHERE job_id = \(job)"
                #expect(try run("/usr/bin/sqlite3", [scheduler.directory.databasePath, forget]).status == 0)
                #expect(first.isAlive, "the task's process outlives the crashed scheduler")
                try scheduler.start(slots: 1)
                #expect(EscapeTests.gone(first), "the unrecorded run was not killed")
                let client = try scheduler.client()
                var task = try client.task(job, 0)
                let deadline = Date().addingTimeInterval(30)
                while task.status != .running && Date() < deadline {
                    usleep(20_000)
                    task = try client.task(job, 0)
                }
                #expect(task.attempts == 2, "the unrecorded attempt 1 must count: \(task.attempts)")
                #expect(task.warnings.contains { $0.contains("attempt 1 had started") })
                _ = try client.cancel(job)
            }
        }
    }

    @Test("a run that started and ended before a crash kept it from being recorded still counts (the launch journal)")
    func unrecordedFinishedRunCounts() async throws {
        try await offPool {
            try withOneSlotSchedulerAndSQLite { scheduler in
                let log = scheduler.directory.path + "/attempts.log"
                let spec = JobSpec(name: "journal", tasks: [TaskSpec(command: ["sh", "-c", "echo $TASKMON_ATTEMPT >> \(log)"])])
                let job = try scheduler.client().submit(spec).jobID
                _ = try scheduler.waitForJob(job)
                scheduler.crash()
                // As if the crash had come before anything of the run was committed.
                let forget = "UPDATE tasks SET status = 1, attempts = 0, pid = NULL, started_at = NULL, assigned_at = NULL, finished_at = NULL, exit_code = NULL WHERE job_id = \(job); UPDATE jobs SET finished_at = NULL WHERE id = \(job)"
                #expect(try run("/usr/bin/sqlite3", [scheduler.directory.databasePath, forget]).status == 0)
                try scheduler.start(slots: 1)
                let done = try scheduler.waitForJob(job)
                #expect(done.tasks?.first?.attempts == 2)
                let attempts = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                #expect(attempts == ["1", "2"], "attempt 1 ran again: \(attempts)")
            }
        }
    }

    /// A one-slot `taskmon serve`, for tests that rewrite its database with sqlite3 (they say
    /// `skipped: …` where sqlite3 is not installed).
    private func withOneSlotSchedulerAndSQLite(_ body: (ServedScheduler) throws -> Void) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/sqlite3") else {
            print("skipped: sqlite3 is not installed (apt-get install sqlite3)")
            return
        }
        let scheduler = ServedScheduler()
        defer { scheduler.cleanUp() }
        try scheduler.start(slots: 1)
        try body(scheduler)
    }
}
