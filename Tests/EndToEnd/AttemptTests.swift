import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("Every attempt kept, and what each used, with the real binary")
struct AttemptTests {
    /// Prints its attempt on both streams; the first attempt fails.
    static let failsOnce = """
        { "name": "flaky", "tasks": [ { "name": "t", "command": ["sh", "-c",
          "echo attempt $TASKMON_ATTEMPT; echo err $TASKMON_ATTEMPT >&2; [ $TASKMON_ATTEMPT -gt 1 ] || exit 3"] } ] }
        """

    @Test("a retried task keeps its first attempt's status, exit code and output, through the CLI and the protocol, and after kill -9")
    func retryKeepsOutput() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start()
            #expect(try scheduler.taskmon("submit", try writeSpec(Self.failsOnce, in: scheduler.directory)).status == 0)
            #expect(try scheduler.waitForJob(1).count(.failed) == 1)
            let retry = try scheduler.taskmon("retry", "1/0")
            #expect(retry.status == 0, "\(retry.stderr)")
            #expect(try scheduler.waitForJob(1).count(.completed) == 1)

            func check(_ when: String) throws {
                let client = try scheduler.client()
                defer { client.close() }
                let current = try client.task(1, 0)
                #expect(current.attempts == 2, "\(when)")
                #expect(current.standardOutput == "attempt 2\n", "\(when)")
                #expect(current.standardError == "err 2\n", "\(when)")
                #expect(current.attemptHistory.map(\.attempt) == [1], "\(when)")
                #expect(current.attemptHistory.first?.status == .failed, "\(when)")
                #expect(current.attemptHistory.first?.exitCode == 3, "\(when)")
                let first = try client.task(1, 0, attempt: 1)
                #expect(first.attempt == 1, "\(when)")
                #expect(first.status == .failed, "\(when)")
                #expect(first.exitCode == 3, "\(when)")
                #expect(first.exception?.type == "ExitStatus", "\(when)")
                #expect(first.standardOutput == "attempt 1\n", "\(when)")
                #expect(first.standardError == "err 1\n", "\(when)")
                #expect(first.startedAt != nil && first.finishedAt != nil && first.finishedAt! <= current.startedAt!, "\(when)")

                let output = try scheduler.taskmon("output", "1/0", "--attempt", "1")
                #expect(output.status == 0 && output.stdout == "attempt 1\n", "\(when): \(output.stderr)")
                let errors = try scheduler.taskmon("output", "1/0", "--stderr", "--attempt", "1")
                #expect(errors.stdout == "err 1\n", "\(when)")
                #expect(try scheduler.taskmon("output", "1/0").stdout == "attempt 2\n", "\(when)")
                let shown = try scheduler.taskmon("show", "1/0", "--attempt", "1")
                #expect(shown.status == 0, "\(when): \(shown.stderr)")
                #expect(shown.stdout.contains("showing attempt 1 of 2"), "\(when)")
                #expect(shown.stdout.contains("status: FAILED"), "\(when)")
                #expect(shown.stdout.contains("  attempt 1"), "\(when)")
                let plain = try scheduler.taskmon("show", "1/0")
                #expect(plain.stdout.contains("earlier attempts"), "\(when)")
                #expect(plain.stdout.contains("status: COMPLETED"), "\(when)")

                // Out of range: a clear answer, never a crash.
                let missing = try scheduler.taskmon("show", "1/0", "--attempt", "3")
                #expect(missing.status != 0 && missing.stderr.contains("there is no attempt 3"), "\(when): \(missing.stderr)")
                let currentOne = try scheduler.taskmon("output", "1/0", "--attempt", "2")
                #expect(currentOne.status != 0 && currentOne.stderr.contains("current one"), "\(when): \(currentOne.stderr)")
                #expect(try scheduler.taskmon("show", "1/0", "--attempt", "0").status == 2, "\(when)")
                #expect(throws: SchedulerClientError.self) { try client.task(1, 0, attempt: -5) }
                #expect(throws: SchedulerClientError.self) { try client.readOutput(1, 0, stream: .stdout, offset: 0, length: 10, attempt: Int.max) }
            }
            try check("before the crash")
            scheduler.crash()
            try scheduler.start()
            try check("after kill -9 and a restart")
        }
    }

    @Test("retried but waiting for a slot: the last attempt's output is its own, the new attempt's is empty until it runs")
    func retriedNotStartedYet() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(slots: 1)
            let spec = try writeSpec("""
                { "name": "waits", "tasks": [
                  { "name": "flaky", "command": ["sh", "-c", "echo attempt $TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ] || exit 3"] },
                  { "name": "blocker", "command": ["sleep", "30"] } ] }
                """, in: scheduler.directory)
            #expect(try scheduler.taskmon("submit", spec).status == 0)
            let client = try scheduler.client()
            defer { client.close() }
            var blocker = try client.task(1, 1)
            for _ in 0..<3000 where blocker.status != .running {
                usleep(10_000)
                blocker = try client.task(1, 1)
            }
            try #require(blocker.status == .running, "the blocker is \(blocker.status.name): \(blocker.exception?.message ?? "")")
            #expect(try client.task(1, 0).status == .failed)
            try client.retry(1, 0)
            let waiting = try client.task(1, 0)
            blocker = try client.task(1, 1)
            #expect(waiting.status == .submitted, "the blocker is \(blocker.status.name): \(blocker.exception?.message ?? "")")
            #expect(waiting.standardOutput == "", "the new attempt has printed nothing yet")
            #expect(try client.readOutput(1, 0, stream: .stdout, offset: 0, length: 100).data.isEmpty)
            #expect(try client.task(1, 0, attempt: 1).standardOutput == "attempt 1\n")
            #expect(String(decoding: try client.readOutput(1, 0, stream: .stdout, offset: 0, length: 100, attempt: 1).data, as: UTF8.self) == "attempt 1\n")
            try client.cancel(1, task: 1)
            #expect(try scheduler.waitForJob(1).tasks?.first?.status == .completed)
            #expect(try client.task(1, 0).standardOutput == "attempt 2\n")
            #expect(try client.task(1, 0, attempt: 1).standardOutput == "attempt 1\n")
        }
    }

    @Test("an attempt the crash of the scheduler interrupted is kept with its output when the next one runs")
    func crashInterruptedAttemptKept() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start()
            let spec = try writeSpec("""
                { "name": "crash", "max_interrupted_retries": 2, "tasks": [ { "name": "long", "command": ["sh", "-c",
                  "echo attempt $TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ] || sleep 30"] } ] }
                """, in: scheduler.directory)
            #expect(try scheduler.taskmon("submit", spec).status == 0)
            var client = try scheduler.client()
            for _ in 0..<1000 {
                let task = try client.task(1, 0)
                if task.status == .running && task.standardOutput == "attempt 1\n" { break }
                usleep(10_000)
            }
            client.close()
            scheduler.crash()
            try scheduler.start()
            #expect(try scheduler.waitForJob(1).count(.completed) == 1)
            client = try scheduler.client()
            defer { client.close() }
            let current = try client.task(1, 0)
            #expect(current.standardOutput == "attempt 2\n")
            let first = try client.task(1, 0, attempt: 1)
            #expect(first.status == .interrupted)
            #expect(first.standardOutput == "attempt 1\n")
        }
    }

    @Test("a task killed by a signal is retried automatically, and its killed attempt is kept")
    func interruptedAttemptKept() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let spec = try writeSpec("""
                    { "name": "killed", "max_interrupted_retries": 1, "tasks": [ { "name": "t", "command": ["sh", "-c",
                      "echo attempt $TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ] || kill -KILL $$"] } ] }
                    """, in: scheduler.directory)
                #expect(try scheduler.taskmon("submit", spec).status == 0)
                #expect(try scheduler.waitForJob(1).count(.completed) == 1)
                let client = try scheduler.client()
                defer { client.close() }
                let first = try client.task(1, 0, attempt: 1)
                #expect(first.status == .interrupted)
                #expect(first.signal == SIGKILL)
                #expect(first.standardOutput == "attempt 1\n")
                #expect(try client.task(1, 0).standardOutput == "attempt 2\n")
            }
        }
    }

    @Test("a finished local task keeps its peak RSS and CPU time (like seff), in show, TaskInfo and the task rows")
    func resourceUsage() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                // 64 MiB written (so resident), then a loop until half a second of CPU is used.
                let spec = try writeSpec("""
                    { "name": "hungry", "tasks": [ { "name": "t", "command": ["python3", "-c",
                      "import time\\nb = b'x' * (64 << 20)\\nwhile time.process_time() < 0.5: pass\\nprint(len(b))"] } ] }
                    """, in: scheduler.directory)
                #expect(try scheduler.taskmon("submit", spec).status == 0)
                let job = try scheduler.waitForJob(1)
                #expect(job.count(.completed) == 1)
                let client = try scheduler.client()
                defer { client.close() }
                let task = try client.task(1, 0)
                let rss = try #require(task.peakRSS)
                let cpu = try #require(task.cpuTime)
                #expect(rss >= 50 << 20)
                #expect(cpu >= 0.5)
                let rows = try #require(try client.taskRows(of: 1, offset: 0, limit: 10).taskRows)
                #expect(rows.first?.peakRSS == rss)
                #expect(rows.first?.cpuTime == cpu)
                let shown = try scheduler.taskmon("show", "1/0")
                #expect(shown.stdout.contains("peak RSS: "), "\(shown.stdout)")
                #expect(shown.stdout.contains("MiB, CPU time: "), "\(shown.stdout)")
            }
        }
    }
}
