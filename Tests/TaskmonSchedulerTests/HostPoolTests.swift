import Foundation
import TaskmonTestSupport
import Testing
import Synchronization
import TaskmonKit
@testable import TaskmonScheduler

/// The Python client's sources, for the hosts these tests start.
private let clientSources = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Clients/python/src").path

/// The `python3` on this process's PATH (the test scheduler's own PATH is a minimal one): the
/// Python that has cloudpickle, for both the payloads and the hosts.
private let python: String = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for folder in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(folder)/python3") {
        return "\(folder)/python3"
    }
    return "/usr/bin/python3"
}()

/// Runs a Python script to completion without blocking the cooperative pool.
private func runPython(_ script: String, environment: [String: String]) async throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["-c", script]
    process.environment = environment
    return try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
}

/// Pickles `count` tasks of a class defined in the script (so it travels by value) into a bundle,
/// and an environment whose setup() runs `setup` (Python statements).
private func writePayloads(in folder: String, count: Int, task: String, setup: String = "pass") async throws -> (bundle: String, environment: String) {
    let bundle = folder + "/tasks.pickle"
    let environment = folder + "/environment.pickle"
    let script = """
        import os
        from taskmon import _payload
        class Task:
            def execute(self):
        \(task.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
        class Environment:
            def setup(self):
        \(setup.split(separator: "\n").map { "        " + $0 }.joined(separator: "\n"))
            def teardown(self):
                pass
        _payload.write_bundle(\(String(reflecting: bundle)), [Task() for _ in range(\(count))])
        _payload.write_payload(\(String(reflecting: environment)), Environment())
        """
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = clientSources
    let status = try await runPython(script, environment: env)
    #expect(status == 0, "writing the payloads failed")
    return (bundle, environment)
}

@Suite("HostPool: Python tasks in warm hosts, behind the Backend seam")
struct HostPoolTests {
    func hostedJob(_ payloads: (bundle: String, environment: String), count: Int, uniqueID: String? = nil) -> JobSpec {
        var spec = JobSpec(name: "python", tasks: (0..<count).map { index in
            TaskSpec(name: "p\(index)", command: [python, "-m", "taskmon.host", "\(payloads.bundle)#\(index)"],
                     python: "\(payloads.bundle)#\(index)")
        })
        // A long idle timeout: on a loaded machine the pause between two tasks must not recycle
        // the host these tests watch.
        spec.host = HostSpec(interpreter: [python], environment: payloads.environment, uniqueID: uniqueID, idleTimeout: 300)
        spec.environment = EnvironmentSpec(env: ["PYTHONPATH": clientSources])
        return spec
    }

    @Test("a job's tasks run one after another in one warm host, which each task names")
    func warmHost() async throws {
        try await withScheduler(slots: 1) { scheduler in
            let payloads = try await writePayloads(
                in: scheduler.directory.path, count: 3,
                task: "import os\nprint('in', os.getpid())\nself.result = os.getpid()")
            let job = try await scheduler.client.submit(hostedJob(payloads, count: 3)).jobID
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.completed) == 3)
            let all = try await tasks(scheduler, job, 3)
            let hosts = all.map { $0.host ?? "" }
            #expect(hosts[0].hasSuffix("(new, task 1 of it)"))
            #expect(hosts[1].hasSuffix("(warm, task 2 of it)"))
            #expect(hosts[2].hasSuffix("(warm, task 3 of it)"))
            #expect(Set(all.map(\.pid)).count == 1)
            let pid = all[0].pid ?? 0
            #expect(all.allSatisfy { $0.standardOutput == "in \(pid)\n" })
            #expect(all.allSatisfy { $0.result?.display == "\(pid)" })
        }
    }

    @Test("a setup() that raises makes every task ENVIRONMENT_ERROR with that exception; none runs")
    func setupRaises() async throws {
        try await withScheduler(slots: 2) { scheduler in
            let ran = scheduler.directory.path + "/ran"
            let payloads = try await writePayloads(
                in: scheduler.directory.path, count: 3, task: "open(\(String(reflecting: ran)), 'w').close()",
                setup: "print('checking the licence')\nraise LookupError('no licence server')")
            let job = try await scheduler.client.submit(hostedJob(payloads, count: 3)).jobID
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.environmentError) == 3)
            #expect(!FileManager.default.fileExists(atPath: ran))
            for task in try await tasks(scheduler, job, 3) {
                #expect(task.exception?.type == "LookupError")
                #expect(task.exception?.message == "no licence server")
                #expect(task.exception?.trace.contains("LookupError: no licence server") == true)
                #expect(task.standardOutput?.contains("checking the licence") == true)
            }
        }
    }

    @Test("a host that cannot start fails its task with the interpreter's words")
    func hostCannotStart() async throws {
        try await withScheduler(slots: 1) { scheduler in
            var spec = JobSpec(name: "broken", tasks: [TaskSpec(command: ["true"], python: "/nowhere/tasks.pickle#0")])
            spec.host = HostSpec(interpreter: [python, "-c", "import sys; sys.exit('no taskmon here')"])
            let job = try await scheduler.client.submit(spec).jobID
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.status == .failed)
            #expect(task.exception?.type == "LaunchError")
            #expect(task.exception?.message.contains("before it was ready: no taskmon here") == true)
        }
    }
}

/// Collects a backend's reports, for tests that drive a backend directly.
private final class ReportLog: Sendable {
    private let reports = Mutex<[BackendReport]>([])
    /// Drained by polling, from the test: the wake must not drain synchronously.
    let inbox = BackendInbox(wake: {})

    private func take() {
        let drained = inbox.drain()
        reports.withLock { $0.append(contentsOf: drained) }
    }

    func waitForReport(timeout: Duration = .seconds(120)) async throws -> BackendReport? {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            take()
            if let first = reports.withLock({ $0.first }) { return first }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }
}

@Suite("HostPool, driven directly")
struct HostPoolDirectTests {
    @Test("a host that never says hello is killed after the hello timeout and its launch fails saying so")
    func helloTimeout() async throws {
        let folder = TestScheduler.makeDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = ReportLog()
        let pool = HostPool(inbox: log.inbox, clock: SystemClock(), capacity: 1, helloTimeout: .milliseconds(300))
        var request = LaunchRequest(
            argv: ["true"], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil,
            stdoutPath: folder + "/1/0.stdout", stderrPath: folder + "/1/0.stderr", channelPath: folder + "/1/0.channel",
            purpose: .task(TaskKey(job: 1, task: 0)))
        request.host = HostLaunch(
            interpreter: ["sh", "-c", "sleep 600", "host"], environmentPayload: nil, uniqueID: nil, idleTimeout: .seconds(1),
            taskPayload: folder + "/tasks.pickle#0", setupSpool: folder + "/1/setup", teardownSpool: folder + "/1/teardown", job: 1)
        guard case .pending = pool.launch(RunHandle(1), request) else {
            Issue.record("a new host's launch should be pending until it says hello")
            return
        }
        let report = try await log.waitForReport()
        guard case .launchFailed(let handle, let error, _)? = report else {
            Issue.record("expected launchFailed, got \(String(describing: report))")
            return
        }
        #expect(handle == RunHandle(1))
        #expect(error.message.contains("did not start within 0.3s and was killed before it was ready"))
        await pool.close()
    }
}
