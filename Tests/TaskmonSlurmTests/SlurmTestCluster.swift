import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// A single-node Slurm cluster under a temp folder, started and stopped by the project's
/// `Scripts/slurm-cluster` (daemons stopped by pid, leftovers of this cluster killed).
final class SlurmTestCluster: Sendable {
    let folder: String
    var slurmConf: String { folder + "/slurm.conf" }
    var environment: [String: String] { ["SLURM_CONF": slurmConf] }
    static var script: String { repositoryRoot + "/Scripts/slurm-cluster" }

    private init(folder: String) {
        self.folder = folder
    }

    /// Starts one; `tunables` are the script's (MAX_ARRAY, SLURMD_TIMEOUT, …).
    static func start(_ tunables: [String: String] = [:]) async throws -> SlurmTestCluster {
        let cluster = SlurmTestCluster(folder: makeTempFolder("tmsc"))
        let result = try await offPool { try runCommand([script, "start", cluster.folder], environment: tunables, timeout: 150) }
        guard result.status == 0 else {
            await cluster.stop()
            throw SlurmTestError("the test cluster did not start: \(result.errors)")
        }
        return cluster
    }

    /// Stops everything it started (by pid) and removes its folder.
    func stop() async {
        let folder = self.folder
        _ = try? await offPool { try runCommand([Self.script, "stop", folder], timeout: 90) }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Stops slurmd or slurmctld: `TERM` a clean stop, `KILL` a crash.
    func stopDaemon(_ name: String, signal: String = "TERM") async throws {
        let result = try await offPool { [folder] in try runCommand([Self.script, "stop-daemon", folder, name, signal], timeout: 60) }
        #expect(result.status == 0, "stop-daemon \(name): \(result.errors)")
    }

    func startDaemon(_ name: String) async throws {
        let result = try await offPool { [folder] in try runCommand([Self.script, "start-daemon", folder, name], timeout: 60) }
        #expect(result.status == 0, "start-daemon \(name): \(result.errors)")
    }

    /// Runs a Slurm client command against this cluster.
    func slurm(_ argv: [String]) async throws -> CommandResult {
        let environment = self.environment
        return try await offPool { try runCommand(argv, environment: environment, timeout: 30) }
    }
}

/// A real `taskmon serve` process on a temp state dir (local or Slurm backend).
final class ServedTaskmon: @unchecked Sendable {
    let directory: StateDirectory
    let arguments: [String]
    let environment: [String: String]
    private let lock = NSLock()
    private var pid: pid_t?

    /// `cluster` nil: the local backend (for comparison). `environment` is added to serve's.
    init(cluster: SlurmTestCluster?, extra: [String] = [], environment added: [String: String] = [:]) {
        directory = StateDirectory(path: makeTempFolder("tmss"))
        var arguments = ["serve", "--state-dir", directory.path, "--kill-grace", "1"]
        if let cluster {
            arguments += ["--backend", "slurm", "--slurm-conf", cluster.slurmConf, "--poll-interval", "0.2"]
            environment = cluster.environment.merging(added) { $1 }
        } else {
            arguments += ["--slots", "4"]
            environment = added
        }
        self.arguments = arguments + extra
    }

    /// Starts it and waits until it answers; throws with its log when it exits instead.
    func start() async throws {
        let log = open(directory.path + "/serve.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let started = try spawn([taskmonBinary] + arguments, environment: env, stdout: log, stderr: log)
        lock.withLock { pid = started }
        let directory = self.directory
        try await eventually("taskmon serve to answer", within: 60) {
            var status: Int32 = 0
            if waitpid(started, &status, WNOHANG) == started {
                self.lock.withLock { self.pid = nil }
                throw SlurmTestError("taskmon serve exited: \(self.log)")
            }
            return (try? await offPool { try SchedulerClient.connect(directory).close() }) != nil
        }
    }

    var log: String { (try? String(contentsOfFile: directory.path + "/serve.log", encoding: .utf8)) ?? "" }

    func client() async throws -> SchedulerClient {
        let directory = self.directory
        return try await offPool { try SchedulerClient.connect(directory, clientName: "slurm-tests") }
    }

    /// kill -9, as a crash.
    func crash() async {
        guard let pid = lock.withLock({ self.pid }) else { return }
        kill(pid, SIGKILL)
        _ = try? await offPool { waitFor(pid) }
        lock.withLock { self.pid = nil }
    }

    /// A clean stop (SIGTERM), waited for; then SIGKILL if it does not stop in 30 s.
    func stop() async {
        guard let pid = lock.withLock({ self.pid }) else { return }
        kill(pid, SIGTERM)
        let stopped = try? await offPool { () -> Bool in
            for _ in 0..<300 {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid { return true }
                usleep(100_000)
            }
            return false
        }
        if stopped != true {
            kill(pid, SIGKILL)
            _ = try? await offPool { waitFor(pid) }
        }
        lock.withLock { self.pid = nil }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory.path)
    }

    // MARK: Client calls, off the pool

    func submit(_ spec: JobSpec) async throws -> JobID {
        let client = try await client()
        defer { client.close() }
        return try await offPool { try client.submit(spec).jobID }
    }

    func job(_ id: JobID) async throws -> JobInfo {
        let client = try await client()
        defer { client.close() }
        return try await offPool { try client.job(id, includeTasks: true) }
    }

    func task(_ id: JobID, _ index: TaskIndex) async throws -> TaskInfo {
        let client = try await client()
        defer { client.close() }
        return try await offPool { try client.task(id, index) }
    }

    func cancel(_ id: JobID, task: TaskIndex? = nil, message: String) async throws {
        let client = try await client()
        defer { client.close() }
        _ = try await offPool { try client.cancel(id, task: task, message: message) }
    }

    func status() async throws -> SchedulerStatus {
        let client = try await client()
        defer { client.close() }
        return try await offPool { try client.status() }
    }

    /// Waits until the job is done and returns it with its tasks.
    func waitUntilDone(_ id: JobID, within seconds: Double = 120) async throws -> JobInfo {
        try await eventually("job \(id) to finish", within: seconds) { try await self.job(id).isDone }
        return try await job(id)
    }
}

/// Starts a cluster and a Slurm-backed scheduler, runs `body`, and stops both (also on failure).
func withSlurmScheduler(
    _ tunables: [String: String] = [:], extra: [String] = [], environment: [String: String] = [:],
    _ body: (SlurmTestCluster, ServedTaskmon) async throws -> Void
) async throws {
    let cluster = try await SlurmTestCluster.start(tunables)
    let scheduler = ServedTaskmon(cluster: cluster, extra: extra, environment: environment)
    do {
        try await scheduler.start()
        try await body(cluster, scheduler)
    } catch {
        await scheduler.stop()
        await cluster.stop()
        scheduler.remove()
        throw error
    }
    await scheduler.stop()
    await cluster.stop()
    scheduler.remove()
}
