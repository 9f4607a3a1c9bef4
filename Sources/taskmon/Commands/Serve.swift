import ArgumentParser
import Foundation
import Logging
import TaskmonKit
import TaskmonScheduler

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the scheduler in the foreground.",
        discussion: "Stops on Ctrl-C, SIGTERM or `taskmon shutdown`; tasks that were running are queued again for the next start.")

    @OptionGroup var state: StateDirOption

    @Option(help: "Host processes to run at once (default: the number of cores).")
    var slots: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Seconds between SIGTERM and SIGKILL when a running task is canceled.")
    var killGrace: Double = 5

    @Flag(help: "Log every request and state change.")
    var verbose = false

    func validate() throws {
        guard slots >= 1 else { throw ValidationError("--slots must be at least 1") }
        guard killGrace >= 0 else { throw ValidationError("--kill-grace must not be negative") }
    }

    func run() async throws {
        signal(SIGPIPE, SIG_IGN)
        var logger = Logger(label: "taskmon.scheduler")
        logger.logLevel = verbose ? .debug : .info
        // Tasks find `taskmon task …` on their PATH even when taskmon itself is not installed there.
        var environment = ProcessInfo.processInfo.environment
        let ownFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        environment["PATH"] = ownFolder + ":" + (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
        var configuration = SchedulerConfiguration(
            stateDirectory: state.directory, slots: slots,
            cancelGracePeriod: .milliseconds(Int64(killGrace * 1000)), baseEnvironment: environment)
        configuration.adoptsOrphans = true
        let server: SchedulerServer
        do {
            server = try await SchedulerServer.start(configuration, logger: logger)
        } catch {
            printError("taskmon: \(error)")
            throw ExitCode(1)
        }
        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { Task { await server.stop() } }
            source.resume()
            return source
        }
        await server.waitUntilStopped()
        signals.forEach { $0.cancel() }
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
