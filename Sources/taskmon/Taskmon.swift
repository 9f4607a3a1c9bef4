import ArgumentParser

@main
struct Taskmon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "taskmon",
        abstract: "A local job scheduler with a terminal monitor.",
        discussion: """
            Jobs are made of tasks that run as host processes. The scheduler keeps every task's \
            outcome in SQLite under the state dir and publishes a live event stream on its socket.
            State dir: --state-dir, else $TASKMON_STATE_DIR, else $XDG_STATE_HOME/taskmon, else ~/.local/state/taskmon.
            """,
        version: "0.1.0",
        subcommands: [
            Monitor.self, Demo.self, Serve.self, Submit.self, Jobs.self, Show.self, Output.self, Wait.self, Cancel.self, Retry.self,
            Status.self, Shutdown.self, TaskHelper.self,
        ],
        defaultSubcommand: Monitor.self)
}
