import ArgumentParser
import Foundation
import TaskmonKit
import TaskmonMonitor

/// `taskmon` and `taskmon monitor`: the terminal monitor.
struct Monitor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open the terminal monitor (the default command).",
        discussion: """
            Shows jobs and tasks live; Enter drills in, ? lists the keys, q quits. Starts a scheduler \
            in the background when none runs on the state dir. Colours: --theme, $TASKMON_THEME, or \
            `theme = "NAME"` in $XDG_CONFIG_HOME/taskmon/config.toml; NO_COLOR turns them off.
            """)

    @OptionGroup var state: StateDirOption

    @Option(help: ArgumentHelp("Colour theme: a name (default, light, high-contrast, solarized-dark, mono) or a .toml file.", valueName: "name|file"))
    var theme: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        do {
            try Terminal.preflight(environment: environment)
        } catch {
            printError("taskmon: \(error.description)")
            throw ExitCode(2)
        }
        try reportingErrors {
            _ = try state.connectStartingScheduler()
        }
        // On the main actor: one thread for all of ncurses, and not a thread of the cooperative
        // pool (see Demo.swift for why that matters).
        let directory = state.directory
        let themeFlag = theme
        let code = await MainActor.run {
            MonitorApp.run(stateDirectory: directory, themeFlag: themeFlag, environment: environment)
        }
        if code != 0 { throw ExitCode(code) }
    }
}
