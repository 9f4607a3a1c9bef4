import Foundation
import TaskmonKit

/// Finds and kills task processes a crashed scheduler left behind, and only those.
enum OrphanSweep {
    /// Kills the process group of `pid` if that process is still the task `key` of this state
    /// dir (its environment names both), never an unrelated process that reused the pid.
    static func kill(pid: Int32, _ key: TaskKey, stateDirectory: StateDirectory) {
        guard pid > 1, let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return }
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard variables.contains("\(TaskEnvironment.jobID)=\(key.job)"),
              variables.contains("\(TaskEnvironment.taskID)=\(key.task)") else { return }
        _ = Glibc.kill(-pid, SIGKILL)
    }
}
