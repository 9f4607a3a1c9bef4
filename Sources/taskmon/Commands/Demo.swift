import ArgumentParser
import Foundation
import TaskmonKit
import TaskmonMonitor

/// `taskmon demo`: taskmon at work, every status for real, in the monitor.
///
/// Runs a scheduler inside this process on a private temp state dir, submits ``DemoWorkload``
/// (in which every status but NOT_SUBMITTED happens), opens the monitor on it, and on the way
/// out stops the scheduler and its tasks and removes the state dir.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Watch taskmon at work: a private scheduler, a workload in which every task status happens, the monitor.",
        discussion: """
            Starts a scheduler in this process on a temp state dir under /tmp, submits ten small jobs \
            (tasks that complete, fail, time out, are canceled, interrupted and retried, run for \
            minutes with progress, or wait in a queue) and opens the monitor on them: every status \
            shows up but NOT_SUBMITTED, which tasks never have since they are submitted with their \
            job. q or Ctrl-C stops the scheduler and its tasks and removes the temp dir. With --no-monitor it runs \
            until Ctrl-C or SIGTERM; open the monitor from another terminal with the command it prints.
            """)

    @Option(name: .long, help: ArgumentHelp("Use this state dir instead of a private temp one; it is kept on exit.", valueName: "dir"))
    var stateDir: String?

    @Option(help: ArgumentHelp("Colour theme: a name (default, light, high-contrast, solarized-dark, mono) or a .toml file.", valueName: "name|file"))
    var theme: String?

    @Flag(help: "Run the scheduler and the workload without the monitor, until Ctrl-C or SIGTERM.")
    var noMonitor = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        if !noMonitor {
            // Before anything starts: a terminal the monitor cannot use gets one line, exit 2.
            let problem = await MainActor.run { () -> String? in
                do throws(TerminalError) {
                    try Terminal.preflight(environment: environment)
                    return nil
                } catch {
                    return error.description
                }
            }
            if let problem {
                printError("taskmon: \(problem)")
                throw ExitCode(2)
            }
        }
        signal(SIGPIPE, SIG_IGN)
        let signals = StopSignals()
        let session: DemoSession
        do {
            session = try await DemoSession.start(stateDir: stateDir)
        } catch let error as CLIError {
            printError("taskmon: \(error.description)")
            throw ExitCode(error.code)
        }

        let code: Int32
        if let early = signals.received {
            code = 128 + early
        } else if noMonitor {
            printAttachInstructions(session)
            code = 128 + (await signals.wait())
        } else {
            signals.release()
            let directory = session.directory
            let themeFlag = theme
            // ncurses must be driven from one thread, and the monitor's run loop blocks that
            // thread until the user quits; so not a thread of the cooperative pool, which the
            // scheduler in this process needs (it may have only as many threads as cores). The
            // main actor is the place: nothing else here uses it, and its whole synchronous
            // call runs on one thread. (On Linux, once an async `main` runs, the real main thread
            // parks in `dispatch_main` and a Dispatch worker drains the main queue; it is not a
            // pool thread either.)
            code = await MainActor.run {
                MonitorApp.run(stateDirectory: directory, themeFlag: themeFlag, environment: environment)
            }
        }

        await session.stop()
        if noMonitor || code != 2 {
            print(session.ownsDirectory
                ? "taskmon demo: stopped the scheduler and its tasks, removed \(session.directory.path)"
                : "taskmon demo: stopped the scheduler and its tasks; the state dir \(session.directory.path) is kept")
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// What `--no-monitor` prints: where the scheduler is and how to look at it.
    private func printAttachInstructions(_ session: DemoSession) {
        let path = session.directory.path
        let lines = [
            "taskmon demo: a scheduler (pid \(getpid()), \(DemoWorkload.slots) slots) runs on \(path), with \(session.jobs.count) jobs",
            "state dir: \(path)",
            "log: \(session.directory.logPath)",
            "open the monitor from another terminal:  TASKMON_STATE_DIR=\(path) taskmon",
            session.ownsDirectory
                ? "stop with Ctrl-C or SIGTERM: its tasks are stopped and the state dir is removed"
                : "stop with Ctrl-C or SIGTERM: its tasks are stopped; the state dir is kept",
        ]
        // Written at once and unbuffered: whoever reads a pipe or a file waits for these lines.
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
