import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Task outcomes through a real scheduler and real processes")
struct TaskOutcomeTests {
    @Test("COMPLETED: result, properties of all four types, progress, stdout and stderr apart")
    func completed() async throws {
        try await withScheduler() { scheduler in
            let job = try await scheduler.submit([[
                "echo hello out", "echo hello err >&2",
                channel(#"{"property": {"name": "Frames", "int": 100}}"#),
                channel(#"{"property": {"name": "Label", "string": "one hundred"}}"#),
                channel(#"{"property": {"name": "Ratio", "float": 0.25}}"#),
                channel(#"{"property": {"name": "Blob", "bytes": "AAEC"}}"#),
                channel(#"{"progress": {"percent": 40, "info": "4 of 10"}}"#),
                channel(#"{"result": {"display": "Hello from task", "type": "str", "encoding": "text", "data": "Hello from task"}}"#),
            ].joined(separator: "; ")])
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.completed) == 1)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .completed)
            #expect(task.exitCode == 0)
            #expect(task.attempts == 1)
            #expect(task.standardOutput == "hello out\n")
            #expect(task.standardError == "hello err\n")
            #expect(task.result?.display == "Hello from task")
            #expect(task.properties == ["Frames": .int(100), "Label": .string("one hundred"), "Ratio": .float(0.25), "Blob": .bytes(Data([0, 1, 2]))])
            #expect(task.progress == TaskProgress(percent: 40, info: "4 of 10"))
            #expect(task.startedAt != nil && task.finishedAt != nil && task.assignedAt != nil)
            #expect(task.cancellationReason == .none)
        }
    }

    @Test("FAILED: ExitStatus exception with the stderr tail; properties kept, result not required")
    func failed() async throws {
        try await withScheduler() { scheduler in
            let job = try await scheduler.submit([[
                channel(#"{"property": {"name": "Property1", "int": 100}}"#),
                channel(#"{"property": {"name": "Property2", "string": "one hundred"}}"#),
                "echo 'Traceback: it broke' >&2", "exit 3",
            ].joined(separator: "; ")])
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .failed)
            #expect(task.exitCode == 3)
            #expect(task.exception?.type == "ExitStatus")
            #expect(task.exception?.message == "exited with status 3")
            #expect(task.exception?.trace.contains("Traceback: it broke") == true)
            #expect(task.properties["Property1"] == .int(100))
            #expect(task.properties["Property2"] == .string("one hundred"))
        }
    }

    @Test("FAILED with the exception the task reported through its channel")
    func failedWithChannelException() async throws {
        try await withScheduler() { scheduler in
            let job = try await scheduler.submit([
                channel(#"{"exception": {"type": "ValueError", "message": "bad frame", "trace": "at render()"}}"#) + "; exit 1",
            ])
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .failed)
            #expect(task.exception == TaskException(type: "ValueError", message: "bad frame", trace: "at render()"))
        }
    }

    @Test("garbage on the channel becomes warnings; the valid lines around it are kept")
    func hostileChannel() async throws {
        try await withScheduler() { scheduler in
            let job = try await scheduler.submit([[
                channel(#"{"property": {"name": "before", "int": 1}}"#),
                "printf 'not json at all\\n\\000\\377\\033]52;c;aGk=\\007\\n' >> \"$TASKMON_CHANNEL\"",
                channel(#"{"property": {"name": "after", "int": 2}}"#),
                "head -c 100 /dev/urandom >> \"$TASKMON_CHANNEL\"",
            ].joined(separator: "; ")])
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .completed)
            #expect(task.properties["before"] == .int(1))
            #expect(task.properties["after"] == .int(2))
            #expect(!task.warnings.isEmpty)
            #expect(task.warnings.allSatisfy { $0.hasPrefix("channel:") || $0 == "further warnings suppressed" })
        }
    }

    @Test("INTERRUPTED: a host process killed from outside is queued again, up to the limit")
    func interrupted() async throws {
        try await withScheduler() { scheduler in
            let job = try await scheduler.submit(["sleep 30"]) { $0.maxInterruptedRetries = 1 }
            let first = try await scheduler.waitForTask(job, 0, .running)
            let firstPID = try #require(first.pid)
            kill(firstPID, SIGKILL)
            // Retried: a new attempt runs with a new process.
            var second = try await scheduler.client.task(job, 0)
            let deadline = Date().addingTimeInterval(30)
            while !(second.status == .running && second.pid != firstPID) && Date() < deadline {
                try await Task.sleep(for: .milliseconds(20))
                second = try await scheduler.client.task(job, 0)
            }
            #expect(second.attempts == 2)
            #expect(second.interruptedRetryAttempts == 1)
            kill(try #require(second.pid), SIGKILL)
            try await scheduler.waitForJob(job)
            let final = try await scheduler.client.task(job, 0)
            #expect(final.status == .interrupted)
            #expect(final.signal == SIGKILL)
            #expect(final.attempts == 2)
            #expect(final.interruptedRetryAttempts == 1)
            #expect(final.exception?.type == "Interrupted")
        }
    }

    @Test("TIMED_OUT: over the task timeout the whole process group is killed at once")
    func timedOut() async throws {
        try await withScheduler() { scheduler in
            let marker = scheduler.directory.path + "/grandchild-pid"
            let job = try await scheduler.submit(["sleep 60 & echo $! > \(marker); wait"]) { $0.taskTimeout = 0.5 }
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .timedOut)
            #expect(task.exception?.type == "TimeoutError")
            let grandchild = try #require(Int32(try String(contentsOfFile: marker, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            // The grandchild was in the task's group, so it is gone too (allow for reaping by init).
            var alive = true
            await within {
                alive = isTaskProcess(grandchild, of: scheduler.directory)
                return !alive
            }
            #expect(!alive)
        }
    }

    @Test("the timeout clock excludes the job's setup")
    func timeoutExcludesSetup() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["sleep 0.2"]) {
                $0.taskTimeout = 1.0
                $0.environment = EnvironmentSpec(setup: ["sleep", "1.5"])
            }
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.completed) == 1)
        }
    }

    @Test("the timeout clock excludes queueing: a queued task is not timed out while it waits")
    func timeoutExcludesQueueing() async throws {
        try await withScheduler(slots: 1) { scheduler in
            // The second task waits 1.2 s and runs 1.2 s: over the timeout only if waiting counted.
            let job = try await scheduler.submit(["sleep 1.2", "sleep 1.2"]) { $0.taskTimeout = 2.0 }
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.completed) == 2)
        }
    }
}

@Suite("Output spooling")
struct OutputSpoolTests {
    @Test("a task that prints nothing leaves no spool files; its output reads as empty")
    func silentTaskMakesNoFiles() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["true"])
            try await scheduler.waitForJob(job)
            let spool = scheduler.directory.taskSpool(job: job, task: 0)
            #expect(!FileManager.default.fileExists(atPath: spool + ".stdout"))
            #expect(!FileManager.default.fileExists(atPath: spool + ".stderr"))
            let task = try await scheduler.client.task(job, 0)
            #expect(task.standardOutput == "")
            #expect(task.standardOutputSize == 0)
        }
    }

    @Test("everything printed before exit is in the output when the task is final, also in bulk")
    func outputCompleteAtExit() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["head -c 50000000 /dev/zero; echo tail-marker; echo err-marker >&2"])
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0, outputCap: 0)
            #expect(task.status == .completed)
            let chunk = try await scheduler.client.readOutput(job, 0, stream: .stdout, offset: 50_000_000, length: 100)
            #expect(String(decoding: chunk.data, as: UTF8.self) == "tail-marker\n")
            #expect(chunk.size == 50_000_012)
            let err = try await scheduler.client.readOutput(job, 0, stream: .stderr, offset: 0, length: 100)
            #expect(String(decoding: err.data, as: UTF8.self) == "err-marker\n")
        }
    }

    /// What the two checks above stand on: a task's running process is recognised, and one of
    /// another scheduler (another state dir) is not.
    @Test("a task's running process carries its scheduler's marker")
    func taskProcessesAreRecognisedByTheirMarker() async throws {
        try await withScheduler { scheduler in
            let pidFile = scheduler.directory.path + "/running.pid"
            let job = try await scheduler.submit(["sleep 60 & echo $! > \(pidFile); wait"])
            var text = ""
            #expect(await within {
                text = (try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? ""
                return text.hasSuffix("\n")
            })
            let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(isTaskProcess(pid, of: scheduler.directory))
            #expect(!isTaskProcess(pid, of: StateDirectory(path: scheduler.directory.path + "-other")))
            #expect(!isTaskProcess(getpid(), of: scheduler.directory))
            _ = try await scheduler.client.cancel(job)
            try await scheduler.waitForJob(job)
        }
    }

    @Test("a background process that keeps the output open neither holds the status back nor outlives the task")
    func lingeringGrandchild() async throws {
        try await withScheduler { scheduler in
            let pidFile = scheduler.directory.path + "/lingering.pid"
            let job = try await scheduler.submit(["(sleep 30; echo late) & echo $! > \(pidFile); echo early"])
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .completed)
            #expect(task.standardOutput == "early\n")
            // Nothing a task started outlives it: the background subshell went with the task.
            let pid = try #require(Int32((try? String(contentsOfFile: pidFile, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
            var alive = isTaskProcess(pid, of: scheduler.directory)
            await within {
                alive = isTaskProcess(pid, of: scheduler.directory)
                return !alive
            }
            #expect(!alive, "the background subshell outlived its task")
        }
    }
}

/// Whether `pid` is a running (not zombie) process of a task of the scheduler in `directory`,
/// by the marker every task's processes carry (read as the scheduler's own orphan sweep reads
/// it): the number was read after the task ended, and by then it may be another process's
/// (other tests fork all the time, and some hand freed pids out again on purpose).
func isTaskProcess(_ pid: Int32, of directory: StateDirectory) -> Bool {
    !isZombie(pid) && OrphanSweep.task(of: pid, directory) != nil
}

func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] == "Z"
}
