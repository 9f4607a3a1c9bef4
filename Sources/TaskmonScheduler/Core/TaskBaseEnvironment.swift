import Foundation
import TaskmonKit

/// Where a run's environment starts: the submitter's, or the scheduler's minimal base.
///
/// A scheduler is often started in the background by whoever submitted first; its own
/// environment (tokens, keys, a `VIRTUAL_ENV`) belongs to that caller, not to the jobs of
/// everyone after. So the scheduler passes on only what names its own user (the minimal base),
/// and each job brings the rest: the environment its submitter sent, then its `env`, then
/// the task's, then the scheduler's markers.
package enum TaskBaseEnvironment {
    /// The search path of the minimal base.
    package static let defaultPath = "/usr/local/bin:/usr/bin:/bin"

    /// Names the scheduler sets on every run itself: a submitter that is a task (or a
    /// setup) sends its own, which must not reach another job's runs.
    package static let markers: Set<String> = [
        TaskEnvironment.channel, TaskEnvironment.jobID, TaskEnvironment.taskID, TaskEnvironment.attempt,
        OrphanSweep.stateDirVariable,
    ]

    /// `PATH` (the default), `HOME`, `USER`, `LOGNAME` and `SHELL` of the user the scheduler runs
    /// as, `LANG` when the scheduler has one, and `TMPDIR` (the scheduler's, or `/tmp`).
    package static func minimal(scheduler environment: [String: String]) -> [String: String] {
        var base = ["PATH": defaultPath]
        if let entry = getpwuid(geteuid()) {
            base["HOME"] = String(cString: entry.pointee.pw_dir)
            base["USER"] = String(cString: entry.pointee.pw_name)
            base["LOGNAME"] = base["USER"]
            base["SHELL"] = String(cString: entry.pointee.pw_shell)
        } else {
            // No passwd entry (a container's arbitrary uid): the scheduler's own say is all there is.
            for name in ["HOME", "USER", "LOGNAME", "SHELL"] { base[name] = environment[name] }
        }
        if base["SHELL"]?.isEmpty ?? true { base["SHELL"] = "/bin/sh" }
        if let lang = environment["LANG"], !lang.isEmpty { base["LANG"] = lang }
        base["TMPDIR"] = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return base
    }

    /// What a job's runs start from: the submitter's environment without the scheduler's
    /// markers when it sent one, else `minimal`.
    package static func forJob(_ spec: JobSpec, minimal: [String: String]) -> [String: String] {
        guard spec.inheritEnvironment, let submitted = spec.submitterEnvironment else { return minimal }
        return submitted.filter { !markers.contains($0.key) }
    }
}

extension SchedulerConfiguration {
    /// The environment of a job whose submitter sent none (``JobSpec/submitterEnvironment``):
    /// `PATH` (`/usr/local/bin:/usr/bin:/bin`), `HOME`, `USER`, `LOGNAME` and `SHELL` of the user
    /// this process runs as, `LANG` when `environment` has it, and `TMPDIR` (or `/tmp`).
    public static func minimalEnvironment(
        from environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> [String: String] {
        TaskBaseEnvironment.minimal(scheduler: environment)
    }
}
