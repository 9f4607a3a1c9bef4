import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// `taskmon demo --no-monitor`, through the real binary: the workload really reaches every
/// status, and stopping the demo leaves nothing behind.
///
/// Serialized: each test runs a demo whose tasks keep 4 slots busy, and two at once on a small
/// machine would slow both past their deadlines.
@Suite("taskmon demo, with the real binary", .serialized)
struct DemoTests {
    /// Every status the demo can show: all but NOT_SUBMITTED (tasks are submitted with their job).
    static let expected = Set(TaskStatus.allCases).subtracting([.notSubmitted])

    @Test("every status but NOT_SUBMITTED happens for real, with its data; SIGTERM stops the demo and every task it started")
    func everyStatus() async throws {
        try await offPool {
            let directory = makeTempDirectory()
            let outputPath = directory.path + "-out.txt"
            defer {
                try? FileManager.default.removeItem(atPath: directory.path)
                try? FileManager.default.removeItem(atPath: outputPath)
            }
            let demo = try DemoRun(["--no-monitor", "--state-dir", directory.path], output: outputPath)
            defer { demo.cleanUp() }
            let client = try demo.connect(directory)
            let events = try client.subscribe(afterSeq: 0)

            // CANCELING and ASSIGNED last a few seconds at most, so watch the event stream rather
            // than polling. A job_submitted event stands for all its tasks becoming SUBMITTED.
            var seen: Set<TaskStatus> = []
            var jobNames: [JobID: String] = [:]
            let deadline = ContinuousClock.now + .seconds(40)
            while !seen.isSuperset(of: Self.expected), ContinuousClock.now < deadline {
                guard let message = try nextMessage(events) else { continue }
                guard case .event(let event)? = message else { break }
                switch event.body {
                case .jobSubmitted(let job):
                    seen.insert(.submitted)
                    jobNames[job.id] = job.name
                case .taskStatusChanged(let change):
                    seen.insert(change.status)
                default:
                    break
                }
            }
            events.cancel()
            #expect(seen.isSuperset(of: Self.expected), "never seen: \(Self.expected.subtracting(seen).map(\.name).sorted())")
            #expect(jobNames.count == 10)

            let jobs = Dictionary(uniqueKeysWithValues: try client.jobs().map { ($0.name, $0.id) })
            func task(_ job: String, _ index: TaskIndex = 0) throws -> TaskInfo {
                try client.task(try #require(jobs[job], "no job \(job)"), index)
            }
            /// The task once it is final: the event loop above may end before every job has.
            func final(_ job: String, _ index: TaskIndex = 0) throws -> TaskInfo {
                var info = try task(job, index)
                let deadline = ContinuousClock.now + .seconds(30)
                while !(info.status.isFinished || info.status == .interrupted), ContinuousClock.now < deadline {
                    usleep(50_000)
                    info = try task(job, index)
                }
                return info
            }

            let thumbnails = try final("thumbnails")
            #expect(thumbnails.status == .completed)
            #expect(thumbnails.result?.display == "thumbs/summer-2026.zip")
            #expect(Set(thumbnails.properties.values.map(\.typeName)) == ["string", "int", "float", "bytes"])
            #expect(thumbnails.standardOutput?.contains("\r") == true)
            #expect(thumbnails.standardOutput?.contains("\u{1B}[32m") == true)

            let failed = try final("import-orders")
            #expect(failed.status == .failed)
            #expect(failed.exception?.type == "ValueError")
            #expect((failed.exception?.trace.split(separator: "\n").count ?? 0) >= 5)
            #expect(failed.properties["rows_read"] == .int(1841))

            let direct = try final("deploy-canary")
            #expect(direct.status == .canceled)
            #expect(direct.cancellationReason == .direct)
            #expect(direct.cancellationMessage?.hasPrefix("Canceled by ") == true)
            #expect(direct.cancellationMessage?.hasSuffix(": canary error rate 4.2% > 1%, rolling back") == true)
            // It ended by itself after rolling back (exit 143), not by SIGKILL at the end of the grace.
            #expect(direct.exitCode == 143)

            let shards = try (0..<3).map { try final("resize-shards", $0) }
            #expect(shards[2].status == .failed)
            for shard in shards[0..<2] {
                #expect(shard.status == .canceled)
                #expect(shard.cancellationReason == .consequential)
                #expect(shard.cancellationMessage == "Canceled because task 2 (shard-3) failed")
            }

            for index in 0..<2 {
                let environmentError = try final("train-model", index)
                #expect(environmentError.status == .environmentError)
                #expect(environmentError.attempts == 0)
                #expect(environmentError.exception?.trace.contains("none was found") == true)
            }
            #expect(try final("slow-query").status == .timedOut)
            let crashed = try final("legacy-converter")
            #expect(crashed.status == .interrupted)
            #expect(crashed.signal == SIGKILL)

            // Retried after its SIGKILL: its second attempt ends ~2 s after it starts.
            var retried = try task("fetch-dataset")
            let retrying = ContinuousClock.now + .seconds(60)
            while retried.status != .completed, ContinuousClock.now < retrying {
                usleep(100_000)
                retried = try task("fetch-dataset")
            }
            #expect(retried.status == .completed)
            #expect(retried.attempts == 2)
            #expect(retried.interruptedRetryAttempts == 1)

            // The long ones are running with progress; the backlog waits behind them.
            var render = try client.job(try #require(jobs["render-frames"]), includeTasks: true)
            let rendering = ContinuousClock.now + .seconds(60)
            while render.tasks?.allSatisfy({ $0.status == .running && $0.progress != nil }) != true, ContinuousClock.now < rendering {
                usleep(100_000)
                render = try client.job(render.id, includeTasks: true)
            }
            #expect(render.tasks?.allSatisfy { $0.status == .running && $0.progress != nil } == true)
            #expect(try client.job(try #require(jobs["archive-logs"])).count(.submitted) >= 8)
            client.close()

            let processes = demo.taskProcesses(of: directory)
            #expect(!processes.isEmpty, "the demo's tasks should be running before it is stopped")
            let status = demo.terminate()
            #expect(status == 128 + SIGTERM)
            #expect(demo.taskProcesses(of: directory) == [], "task processes outlived the demo")
            #expect((try? SchedulerClient.connect(directory)) == nil)
            // A --state-dir is the user's: kept, with the demo's jobs in it.
            #expect(FileManager.default.fileExists(atPath: directory.databasePath))
        }
    }

    @Test("without --state-dir the demo runs on a private dir under /tmp and removes it when stopped")
    func privateDirectoryRemoved() async throws {
        try await offPool {
            let scratch = makeTempDirectory()
            defer { try? FileManager.default.removeItem(atPath: scratch.path) }
            let demo = try DemoRun(["--no-monitor"], output: scratch.path + "/out.txt")
            defer { demo.cleanUp() }
            let line = try demo.waitForLine(prefix: "state dir: ")
            let directory = StateDirectory(path: String(line.dropFirst("state dir: ".count)))
            #expect(directory.path.hasPrefix("/tmp/taskmon-demo-"))
            #expect(demo.output().contains("TASKMON_STATE_DIR=\(directory.path) taskmon"))
            let client = try demo.connect(directory)
            // Wait until tasks run, so that stopping has processes to stop.
            _ = try eventually(60) { try client.jobs().contains(where: { $0.count(.running) > 0 }) }
            client.close()
            #expect(!demo.taskProcesses(of: directory).isEmpty)

            #expect(demo.terminate() == 128 + SIGTERM)
            #expect(!FileManager.default.fileExists(atPath: directory.path))
            #expect(demo.taskProcesses(of: directory) == [])
            #expect(demo.output().contains("removed \(directory.path)"))
        }
    }

    @Test("without a terminal it says so in one line, exits 2 and starts nothing")
    func noTerminal() async throws {
        try await offPool {
            // `run` gives the demo /dev/null and pipes: no tty, so the monitor cannot open.
            let result = try run(Binaries.taskmon, ["demo"], timeout: 20)
            #expect(result.status == 2)
            #expect(result.stderr.split(separator: "\n").count == 1)
            #expect(result.stderr.contains("needs a terminal"))
            #expect(result.stdout.isEmpty)
        }
    }
}

/// The next message within a second: `.some(nil)` when the subscription ended, nil when
/// nothing came in time.
private func nextMessage(_ events: EventSubscription) throws -> SubscriptionMessage?? {
    do {
        return .some(try events.next(timeout: .seconds(1)))
    } catch .timedOut {
        return nil
    }
}

/// A fresh, short temp dir (Unix socket paths inside it must stay under 108 bytes).
private func makeTempDirectory() -> StateDirectory {
    var template = Array("/tmp/tmdemo-XXXXXX".utf8CString)
    let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    return StateDirectory(path: path)
}

/// A `taskmon demo` process started by a test, its stdout and stderr going to a file.
private final class DemoRun {
    let pid: pid_t
    private let outputPath: String
    private var exited = false
    /// The demo's state dir, once the test knows it.
    private var directory: StateDirectory?

    init(_ arguments: [String], output: String) throws {
        outputPath = output
        let file = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { close(file) }
        pid = try Spawn.start(
            [Binaries.taskmon, "demo"] + arguments, environment: ProcessInfo.processInfo.environment,
            stdout: file, stderr: file)
    }

    func output() -> String {
        (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    }

    /// Waits for a line of output starting with `prefix`, and returns it.
    func waitForLine(prefix: String) throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let line = output().split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line) }
            usleep(50_000)
        }
        throw SpawnError(message: "the demo never printed \(prefix.debugDescription); it printed: \(output())")
    }

    /// Connects to the demo's scheduler once it answers.
    func connect(_ directory: StateDirectory) throws -> SchedulerClient {
        self.directory = directory
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let client = try? SchedulerClient.connect(directory, timeout: .seconds(10)) { return client }
            usleep(50_000)
        }
        throw SpawnError(message: "the demo's scheduler never answered on \(directory.path); it printed: \(output())")
    }

    /// Processes started by the demo on `directory`: it marks them all with
    /// TASKMON_DEMO_STATE_DIR in their environment, which their children inherit.
    func taskProcesses(of directory: StateDirectory) -> [pid_t] {
        let marker = Array("TASKMON_DEMO_STATE_DIR=\(directory.path)".utf8)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry in
            guard let pid = pid_t(entry), let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return nil }
            return environ.split(separator: 0).contains { $0.elementsEqual(marker) } ? pid : nil
        }
    }

    /// SIGTERM, then waits (up to 60 s: a task's rollback may use its kill grace) for the demo
    /// to exit; returns its exit status.
    func terminate() -> Int32 {
        kill(pid, SIGTERM)
        // Not killed at the deadline: cleanUp does that, and then ends the demo's tasks too.
        if let status = Spawn.wait(pid, seconds: 60, killingAtDeadline: false) {
            exited = true
            return status
        }
        Issue.record("the demo did not exit within 60 s of SIGTERM; output: \(output())")
        return -1
    }

    /// Whatever happened in the test, no demo and none of its tasks are left running (they
    /// would go on for minutes): a SIGTERM first, so that the demo cleans up after itself.
    func cleanUp() {
        if !exited {
            Glibc.kill(pid, SIGTERM)
            _ = Spawn.wait(pid, seconds: 10)
            exited = true
        }
        if let directory {
            for task in taskProcesses(of: directory) { Glibc.kill(task, SIGKILL) }
        }
    }
}
