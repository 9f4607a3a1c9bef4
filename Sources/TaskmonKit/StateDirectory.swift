import Foundation

/// Where a scheduler keeps its state and its socket, and how clients find it.
public struct StateDirectory: Sendable, Equatable {
    public var path: String
    /// Where task output, channels and job spool files go: `PATH/output`, unless the
    /// scheduler was given a spool elsewhere (`--spool`, a folder compute nodes share).
    public var outputPath: String

    public init(path: String, spool: String? = nil) {
        self.path = (path as NSString).standardizingPath
        outputPath = spool.map { ($0 as NSString).standardizingPath } ?? self.path + "/output"
    }

    /// `--state-dir` when given, else `$TASKMON_STATE_DIR`, else `$XDG_STATE_HOME/taskmon`,
    /// else `~/.local/state/taskmon`.
    public static func resolve(_ explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) -> StateDirectory {
        if let explicit, !explicit.isEmpty { return StateDirectory(path: explicit) }
        if let fromEnv = environment["TASKMON_STATE_DIR"], !fromEnv.isEmpty { return StateDirectory(path: fromEnv) }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return StateDirectory(path: xdg + "/taskmon") }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return StateDirectory(path: home + "/.local/state/taskmon")
    }

    public var socketPath: String { path + "/scheduler.sock" }
    public var databasePath: String { path + "/taskmon.db" }
    public var lockPath: String { path + "/scheduler.lock" }
    public var logPath: String { path + "/scheduler.log" }

    /// Where one task's files are: `PREFIX.stdout`, `PREFIX.stderr`, `PREFIX.channel`.
    ///
    /// Files beside each other rather than a folder per task: every inode is work for the
    /// filesystem, on the hot path of a job of many short tasks.
    public func taskSpool(job: JobID, task: TaskIndex) -> String { "\(jobOutputPath(job))/\(task)" }

    /// Where an earlier attempt's files are kept once a new attempt starts:
    /// `PREFIX.attemptN.stdout` beside the task's own (N = 1 for the first attempt).
    public func attemptSpool(job: JobID, task: TaskIndex, attempt: Int) -> String {
        "\(jobOutputPath(job))/\(task).attempt\(attempt)"
    }

    /// The folder holding a job's spool files.
    public func jobOutputPath(_ job: JobID) -> String { "\(outputPath)/\(job)" }
}
