import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// End to end against a real single-node cluster: what the same job's tasks return on Slurm,
/// compared field by field with what the local backend returns for it.
@Suite("Slurm backend: outcomes, compared with the local backend", .enabled(if: SlurmAvailability.available, "skipped: no Slurm here"))
struct SlurmOutcomeTests {
    /// One task of each kind of ending; the channel, output and environment through the spool.
    static let spec = JobSpec(
        name: "outcomes", maxInterruptedRetries: 0,
        environment: EnvironmentSpec(env: ["JOB_VAR": "a,b c"]),
        tasks: [
            TaskSpec(name: "completes", command: ["sh", "-c", """
                echo "out $JOB_VAR $TASK_VAR"; echo err >&2
                printf '%s\\n' '{"property": {"name": "Frames", "int": 7}}' '{"property": {"name": "Label", "string": "x"}}' >> "$TASKMON_CHANNEL"
                printf '%s\\n' '{"result": {"display": "42", "type": "int", "encoding": "json", "data": "42"}}' >> "$TASKMON_CHANNEL"
                """], env: ["TASK_VAR": "t'q\"d"]),
            TaskSpec(name: "fails", command: ["sh", "-c", "echo bad >&2; exit 3"]),
            // The scheduler refuses a program it cannot find at submit; one missing where the task runs
            // is the shell's 127.
            TaskSpec(name: "not found", command: ["sh", "-c", "taskmon-no-such-command"]),
            TaskSpec(name: "segfault", command: ["sh", "-c", "kill -SEGV $$"]),
            // A cwd that is not there is refused at submit, by both backends alike (TrustInputTests).
            TaskSpec(name: "in cwd", command: ["pwd"], cwd: "/usr"),
            TaskSpec(name: "property then failure", command: ["sh", "-c", """
                printf '%s\\n' '{"property": {"name": "Seen", "float": 1.5}}' >> "$TASKMON_CHANNEL"; exit 1
                """]),
        ])

    @Test("completed with result and properties, failed with an exit code, command not found, killed, a cwd: as the local backend")
    func sameAsLocal() async throws {
        let local = ServedTaskmon(cluster: nil)
        try await local.start()
        let localJob: JobInfo
        do {
            localJob = try await local.waitUntilDone(try await local.submit(Self.spec))
        } catch {
            await local.stop()
            local.remove()
            throw error
        }
        var localTasks: [TaskInfo] = []
        for index in 0..<Self.spec.tasks.count { localTasks.append(try await local.task(localJob.id, index)) }
        await local.stop()
        local.remove()

        try await withSlurmScheduler { _, slurm in
            let job = try await slurm.waitUntilDone(try await slurm.submit(Self.spec))
            #expect(job.backend == "slurm")
            for index in 0..<Self.spec.tasks.count {
                let mine = try await slurm.task(job.id, index)
                let theirs = localTasks[index]
                let name = mine.name
                #expect(mine.status == theirs.status, "\(name)")
                #expect(mine.properties == theirs.properties, "\(name)")
                #expect(mine.result == theirs.result, "\(name)")
                #expect(mine.standardOutput == theirs.standardOutput, "\(name)")
                #expect(mine.exception?.type == theirs.exception?.type, "\(name)")
                #expect(mine.signal == theirs.signal, "\(name)")
                #expect(mine.attempts == theirs.attempts, "\(name)")
                #expect(mine.cancellationReason == theirs.cancellationReason, "\(name)")
                #expect(mine.host?.hasPrefix("slurm ") == true, "\(name): \(mine.host ?? "no host")")
                #expect(mine.startedAt != nil && mine.finishedAt != nil, "\(name)")
                #expect(mine.exitCode == theirs.exitCode, "\(name)")
                #expect(mine.standardError == theirs.standardError, "\(name)")
                #expect(mine.exception?.message == theirs.exception?.message, "\(name)")
            }
            let first = try await slurm.task(job.id, 0)
            #expect(first.standardOutput == "out a,b c t'q\"d\n")
            #expect(first.properties["Frames"] == .int(7))
            #expect(try await slurm.task(job.id, 1).exitCode == 3)
            #expect(try await slurm.task(job.id, 3).signal == 11)
            #expect(try await slurm.task(job.id, 2).exitCode == 127)
        }
    }

    @Test("a job larger than MaxArraySize goes as several arrays, and every task completes once")
    func splitArrays() async throws {
        try await withSlurmScheduler(["MAX_ARRAY": "5"]) { _, slurm in
            let spec = JobSpec(name: "split", tasks: (0..<12).map { _ in TaskSpec(command: ["sh", "-c", "echo $TASKMON_TASK_ID"]) })
            let job = try await slurm.waitUntilDone(try await slurm.submit(spec))
            #expect(job.count(.completed) == 12)
            var arrayIDs: [String] = []
            for index in 0..<12 {
                let task = try await slurm.task(job.id, index)
                #expect(task.standardOutput == "\(index)\n")
                // "slurm 12_3 on node": the array's id before the underscore.
                if let id = task.host?.split(separator: " ").dropFirst().first?.split(separator: "_").first { arrayIDs.append(String(id)) }
            }
            // MaxArraySize 5 allows indices 0-4: 12 tasks need at least 3 arrays (more when a
            // loaded machine spreads the launches over two bursts), none larger than 5.
            let sizes = Dictionary(grouping: arrayIDs, by: { $0 }).mapValues(\.count)
            let largest = sizes.values.max() ?? 0
            #expect(sizes.count >= 3, "\(sizes)")
            #expect(largest <= 5, "\(sizes)")
        }
    }

    @Test("--spool: output and channel go to the spool, and clients read them from there")
    func spool() async throws {
        let spool = makeTempFolder("tmspool")
        defer { try? FileManager.default.removeItem(atPath: spool) }
        try await withSlurmScheduler(extra: ["--spool", spool]) { _, slurm in
            let spec = JobSpec(name: "spooled", tasks: [TaskSpec(command: ["sh", "-c", """
                echo spooled; printf '%s\\n' '{"property": {"name": "P", "int": 1}}' >> "$TASKMON_CHANNEL"
                """])])
            let job = try await slurm.waitUntilDone(try await slurm.submit(spec))
            let task = try await slurm.task(job.id, 0)
            #expect(task.status == .completed)
            #expect(task.standardOutput == "spooled\n")
            #expect(task.properties["P"] == .int(1))
            #expect(FileManager.default.fileExists(atPath: "\(spool)/\(job.id)/0.stdout"))
            #expect(!FileManager.default.fileExists(atPath: "\(slurm.directory.path)/output/\(job.id)/0.stdout"))
        }
    }

    @Test("a retried task keeps its first attempt's output on the shared spool, as locally")
    func retryKeepsTheAttempt() async throws {
        try await withSlurmScheduler { _, slurm in
            let spec = JobSpec(name: "flaky", tasks: [TaskSpec(command: ["sh", "-c",
                "echo \"attempt $TASKMON_ATTEMPT\"; [ \"$TASKMON_ATTEMPT\" -gt 1 ] || exit 3"])])
            let id = try await slurm.submit(spec)
            _ = try await slurm.waitUntilDone(id)
            let client = try await slurm.client()
            defer { client.close() }
            try await offPool { try client.retry(id, 0) }
            try await eventually("the retry to complete", within: 120) { try await slurm.task(id, 0).status == .completed }
            let (current, first) = try await offPool { (try client.task(id, 0), try client.task(id, 0, attempt: 1)) }
            #expect(current.standardOutput == "attempt 2\n")
            #expect(first.status == .failed && first.exitCode == 3)
            #expect(first.standardOutput == "attempt 1\n")
        }
    }

    @Test("an element's end is seen when its stdout on the spool closes, not at the next poll a minute later")
    func endSeenAtOnce() async throws {
        try await withSlurmScheduler(extra: ["--poll-interval", "60"]) { _, slurm in
            let spec = JobSpec(name: "quick", tasks: [TaskSpec(command: ["true"]), TaskSpec(command: ["sh", "-c", "sleep 1; echo done"])])
            let started = ContinuousClock.now
            let job = try await slurm.waitUntilDone(try await slurm.submit(spec), within: 50)
            // Without the watch, the first poll comes 60 s after the start.
            #expect(ContinuousClock.now - started < .seconds(50))
            #expect(job.count(.completed) == 2)
            #expect(try await slurm.task(job.id, 1).status == .completed)
        }
    }

    @Test("timed out: taskmon's own deadline ends it TIMED_OUT, long before Slurm's whole-minute limit")
    func timedOut() async throws {
        try await withSlurmScheduler { _, slurm in
            let spec = JobSpec(name: "slow", taskTimeout: 2, tasks: [TaskSpec(command: ["sleep", "60"]), TaskSpec(command: ["true"])])
            let started = ContinuousClock.now
            let job = try await slurm.waitUntilDone(try await slurm.submit(spec), within: 50)
            #expect(ContinuousClock.now - started < .seconds(45))
            let slow = try await slurm.task(job.id, 0)
            #expect(slow.status == .timedOut)
            #expect(slow.exception?.type == "TimeoutError")
            #expect(try await slurm.task(job.id, 1).status == .completed)
        }
    }
}
