import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("Crash recovery and the state-dir lock, with the real binary")
struct RecoveryTests {
    @Test("after kill -9 and a restart, finished tasks are intact and running ones are INTERRUPTED and retried")
    func killNine() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(slots: 2)
            let spec = try writeSpec("""
                { "name": "crash", "max_interrupted_retries": 2,
                  "tasks": [
                    { "name": "done", "command": ["sh", "-c", "echo finished; printf '%s\\\\n' '{\\"property\\": {\\"name\\": \\"P\\", \\"int\\": 7}}' >> $TASKMON_CHANNEL; printf '%s\\\\n' '{\\"result\\": {\\"display\\": \\"R\\"}}' >> $TASKMON_CHANNEL"] },
                    { "name": "broken", "command": ["sh", "-c", "echo oops >&2; exit 4"] },
                    { "name": "long", "command": ["sh", "-c", "echo attempt $TASKMON_ATTEMPT; sleep 30"] } ] }
                """, in: scheduler.directory)
            #expect(try scheduler.taskmon("submit", spec).status == 0)
            var client = try scheduler.client()
            _ = try eventually(60) {
                let job = try client.job(1)
                return job.count(.completed) == 1 && job.count(.failed) == 1 && job.count(.running) == 1
            }
            let before = try (0..<2).map { try client.task(1, $0) }
            let orphan = try #require(try client.task(1, 2).pid)
            // Running now; followed by its pidfd, as its number may be another process's later.
            let orphanProcess = WatchedProcess(orphan)
            client.close()

            scheduler.crash()
            // A dead scheduler leaves its socket file behind: clients say so in one line.
            let dead = try scheduler.taskmon("jobs")
            #expect(dead.status == 1)
            #expect(dead.stderr.split(separator: "\n").count == 1)
            #expect(dead.stderr.contains("no scheduler is running at \(scheduler.directory.socketPath)"))
            try scheduler.start(slots: 2)
            client = try scheduler.client()
            let after = try (0..<2).map { try client.task(1, $0) }
            #expect(after == before)
            #expect(after[0].properties["P"] == .int(7))
            #expect(after[0].result?.display == "R")
            #expect(after[0].standardOutput == "finished\n")
            #expect(after[1].exception?.type == "ExitStatus")
            #expect(after[1].standardError == "oops\n")

            // The long task was interrupted by the crash and is running again as a new attempt.
            var long = try client.task(1, 2)
            _ = try eventually(60) {
                long = try client.task(1, 2)
                return long.status == .running && long.attempts == 2
            }
            #expect(long.status == .running)
            #expect(long.attempts == 2)
            #expect(long.interruptedRetryAttempts == 1)
            #expect(long.pid != orphan)
            // The crashed scheduler's process for it was killed, not left running beside the new one.
            #expect(orphanProcess.gone(within: 60), "the crashed scheduler's process \(orphan) still runs")
            try scheduler.taskmon("cancel", "1")
        }
    }

    @Test("a second scheduler on the same state dir refuses to start with a clear message")
    func secondScheduler() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let result = try run(Binaries.taskmon, ["serve", "--state-dir", scheduler.directory.path])
                #expect(result.status == 1)
                #expect(result.stderr.contains("already running on \(scheduler.directory.path)"))
                #expect(result.stderr.contains("pid \(scheduler.pid)"))
            }
        }
    }
}
