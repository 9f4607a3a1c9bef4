import Foundation
import Logging
import TaskmonKit
import TaskmonScheduler

/// One run of the demo: its state dir, the scheduler embedded in this process, the submitted
/// workload and the timed actions; ``stop()`` undoes all of it.
final class DemoSession {
    let directory: StateDirectory
    /// True for the private temp dir, which is removed on stop; a `--state-dir` is kept.
    let ownsDirectory: Bool
    let server: SchedulerServer
    let client: SchedulerClient
    let director: DemoDirector
    /// Job ids by job name.
    let jobs: [String: JobID]
    private let logger: Logger
    private let logDescriptor: Int32?

    private init(
        directory: StateDirectory, ownsDirectory: Bool, server: SchedulerServer, client: SchedulerClient,
        director: DemoDirector, jobs: [String: JobID], logger: Logger, logDescriptor: Int32?
    ) {
        self.directory = directory
        self.ownsDirectory = ownsDirectory
        self.server = server
        self.client = client
        self.director = director
        self.jobs = jobs
        self.logger = logger
        self.logDescriptor = logDescriptor
    }

    /// Creates the state dir (a private one under /tmp unless `stateDir` is given), starts the
    /// scheduler on it, submits ``DemoWorkload`` and starts ``DemoDirector``. On failure nothing
    /// is left running and a private dir is removed again.
    static func start(stateDir: String?) async throws -> DemoSession {
        let directory: StateDirectory
        let ownsDirectory = stateDir == nil
        if let stateDir {
            // Absolute, so that the attach command the demo prints works from any folder.
            let absolute = stateDir.hasPrefix("/") ? stateDir : FileManager.default.currentDirectoryPath + "/" + stateDir
            directory = StateDirectory(path: absolute)
            do {
                try FileManager.default.createDirectory(
                    atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw CLIError("cannot create the state dir \(directory.path): \(error.localizedDescription)")
            }
        } else {
            directory = try makePrivateDirectory()
        }
        func discard() {
            if ownsDirectory { try? FileManager.default.removeItem(atPath: directory.path) }
        }

        // Into a file: the monitor owns the terminal, and a log line would land in its screen.
        let logDescriptor = FileLogHandler.open(path: directory.logPath)
        var logger = Logger(label: "taskmon.scheduler") { label in
            guard let logDescriptor else { return SwiftLogNoOpLogHandler() }
            return FileLogHandler(label: label, descriptor: logDescriptor)
        }
        logger.logLevel = .info

        var environment = ProcessInfo.processInfo.environment
        // Tasks call `taskmon task …`: this very binary, wherever it is (`swift run` leaves it
        // in .build, not on PATH).
        let ownFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        environment["PATH"] = ownFolder + ":" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        // Marks every process of this demo, so none can outlive it unnoticed (DemoProcesses).
        environment[DemoProcesses.variable] = directory.path
        var configuration = SchedulerConfiguration(
            stateDirectory: directory, slots: DemoWorkload.slots,
            cancelGracePeriod: .milliseconds(Int64(DemoWorkload.killGrace * 1000)), baseEnvironment: environment)
        configuration.adoptsOrphans = true

        let server: SchedulerServer
        do {
            server = try await SchedulerServer.start(configuration, logger: logger)
        } catch {
            if let logDescriptor { close(logDescriptor) }
            discard()
            throw CLIError("\(error)")
        }
        do {
            // A timeout, so that nothing in the demo can hang on a scheduler that went wrong.
            let client = try await SchedulerClient.connect(directory, clientName: "taskmon demo", timeout: .seconds(30))
            var jobs: [String: JobID] = [:]
            for spec in DemoWorkload.jobs() {
                let submitted = try await client.submit(spec)
                jobs[spec.name ?? "job \(submitted.jobID)"] = submitted.jobID
            }
            logger.info("demo: submitted \(jobs.count) jobs")
            let director = DemoDirector(client: client, jobs: jobs, logger: logger)
            director.start()
            return DemoSession(
                directory: directory, ownsDirectory: ownsDirectory, server: server, client: client,
                director: director, jobs: jobs, logger: logger, logDescriptor: logDescriptor)
        } catch {
            await server.stop()
            _ = DemoProcesses.killAll(of: directory.path)
            if let logDescriptor { close(logDescriptor) }
            discard()
            throw CLIError("the demo could not submit its workload: \(error)")
        }
    }

    /// Stops the timed actions and the scheduler, makes sure no task process of the demo is
    /// left, and removes a private state dir.
    func stop() async {
        director.stop()
        client.close()
        // Stopping asks running tasks to end (SIGTERM, then SIGKILL after the grace period) and
        // waits for them; they are left queued for a next start on this state dir.
        await server.stop()
        // Belt and braces: a task's background child could have left its process group.
        let strays = DemoProcesses.killAll(of: directory.path)
        if strays > 0 { logger.warning("demo: killed \(strays) process(es) still running after the scheduler stopped") }
        if let logDescriptor { close(logDescriptor) }
        if ownsDirectory { try? FileManager.default.removeItem(atPath: directory.path) }
    }

    /// A fresh 0700 folder under /tmp with a short name: the socket path inside it must stay
    /// under the 108 bytes a Unix socket address holds, which a deep $TMPDIR could exceed.
    private static func makePrivateDirectory() throws -> StateDirectory {
        var template = Array("/tmp/taskmon-demo-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Result<String, CLIError> in
            guard let path = mkdtemp(buffer.baseAddress!) else {
                return .failure(CLIError("cannot create a temp state dir under /tmp: \(String(cString: strerror(errno)))"))
            }
            return .success(String(cString: path))
        }
        return StateDirectory(path: try made.get())
    }
}
