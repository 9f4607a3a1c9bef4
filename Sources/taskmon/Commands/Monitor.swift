import ArgumentParser
import Foundation
import TaskmonKit
import TaskmonMonitor

/// `taskmon` and `taskmon monitor`: the terminal monitor.
struct Monitor: ParsableCommand {
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

    func run() throws {
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
        let code = MonitorApp.run(stateDirectory: state.directory, themeFlag: theme, environment: environment)
        if code != 0 { throw ExitCode(code) }
    }
}
