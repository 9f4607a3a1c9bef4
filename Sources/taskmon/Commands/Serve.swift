import ArgumentParser
import Foundation
import Synchronization
import Logging
import TaskmonKit
import TaskmonScheduler

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler in the foreground.",
        discussion: "Stops on Ctrl-C, SIGTERM or `taskmon shutdown`; tasks that were running are queued again for the next start.")

    @OptionGroup var state: StateDirOption

    @Option(help: "Tasks to run at once (default: the number of cores; with --backend slurm, 10000 handed to Slurm at once).")
    var slots: Int?

    @Option(help: "What runs the tasks: local (host processes here, the default) or slurm (job arrays on a Slurm cluster).")
    var backend: BackendName?

    @Option(help: ArgumentHelp("Slurm partition to submit to (default: the cluster's default).", valueName: "name"))
    var partition: String?

    @Option(help: ArgumentHelp("The slurm.conf Slurm's commands read (default: $SLURM_CONF).", valueName: "file"))
    var slurmConf: String?

    @Option(help: ArgumentHelp(
        "Where task output and channels go (default: the state dir's output folder); with Slurm it must be on a filesystem the compute nodes share.",
        valueName: "dir"))
    var spool: String?

    @Option(help: ArgumentHelp("Seconds between the Slurm backend's squeue polls (default 1).", valueName: "seconds"))
    var pollInterval: Double?

    @Option(help: "Seconds between SIGTERM and SIGKILL when a running task is canceled.")
    var killGrace: Double = 5

    @Option(help: ArgumentHelp(
        "Megabytes that the memory asks (resources.memory_mb) of running tasks may add up to (default: this machine's memory; local backend).",
        valueName: "MB"))
    var memoryMB: Int?

    @Flag(help: "Log every request and state change.")
    var verbose = false

    func validate() throws {
        guard killGrace >= 0 else { throw ValidationError("--kill-grace must not be negative") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        var logger = Logger(label: "taskmon.scheduler")
        logger.logLevel = verbose ? .debug : .info
        // A job whose submitter sent no environment gets the minimal base, never this process's
        // own (whoever started the scheduler); its tasks find `taskmon task …` on PATH even
        // when taskmon itself is not installed there.
        var environment = SchedulerConfiguration.minimalEnvironment()
        let ownFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        environment["PATH"] = ownFolder + ":" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        // The command line first, then `[serve]` in the config file, then the defaults.
        let settings: ServeSettings
        do {
            settings = try ServeSettings.resolve(self, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("taskmon: \(error)")
            throw ExitCode(2)
        }
        // The cluster's configuration is no secret, and tasks that call srun need it.
        if let slurmConf = settings.slurmConf ?? ProcessInfo.processInfo.environment["SLURM_CONF"] {
            environment["SLURM_CONF"] = slurmConf
        }
        var directory = state.directory
        if let spool = settings.spool { directory = StateDirectory(path: directory.path, spool: spool) }
        var configuration = SchedulerConfiguration(
            stateDirectory: directory, slots: settings.slots,
            cancelGracePeriod: .milliseconds(Int64(killGrace * 1000)), baseEnvironment: environment)
        if settings.backend == .slurm {
            configuration.backend = .slurm(SlurmSettings(
                partition: settings.partition, slurmConf: environment["SLURM_CONF"],
                pollInterval: .milliseconds(Int64(settings.pollInterval * 1000))))
        }
        configuration.adoptsOrphans = true
        if let memoryMB = settings.memoryMB { configuration.memoryMB = memoryMB }
        // Ctrl-C and SIGTERM are taken before the server starts: once its socket answers,
        // whoever started it may stop it at once, and a SIGTERM that came before the handlers
        // were in place was ignored and lost (the scheduler then ran on, its stopper waiting).
        let stopper = ServeStopper()
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stopper.requestStop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let server: SchedulerServer
        do {
            server = try await SchedulerServer.start(configuration, logger: logger)
        } catch {
            printError("taskmon: \(error)")
            throw ExitCode(1)
        }
        stopper.attach(server)
        await server.waitUntilStopped()
    }
}

struct Shutdown: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop the scheduler; running tasks are queued again for its next start.")

    @OptionGroup var state: StateDirOption

    func run() throws {
        try reportingErrors {
            let client = try state.connect()
            let pid = client.hello.schedulerPID
            try client.shutdown()
            // Wait until it has let go of the state dir, so a new one can start at once.
            let deadline = Date().addingTimeInterval(30)
            while kill(pid, 0) == 0 && Date() < deadline { usleep(20_000) }
            print("scheduler \(pid) stopped")
        }
    }
}

/// Stops the server on a signal, also one that came while it was starting.
private final class ServeStopper: Sendable {
    private let state = Mutex<(server: SchedulerServer?, requested: Bool)>((nil, false))

    func requestStop() {
        let server = state.withLock { state -> SchedulerServer? in
            state.requested = true
            return state.server
        }
        if let server { Task { await server.stop() } }
    }

    func attach(_ server: SchedulerServer) {
        let requested = state.withLock { state -> Bool in
            state.server = server
            return state.requested
        }
        if requested { Task { await server.stop() } }
    }
}
