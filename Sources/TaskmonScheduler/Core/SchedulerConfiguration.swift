import Foundation
import TaskmonKit

/// How a scheduler runs: where its state lives and how much it may run at once.
public struct SchedulerConfiguration: Sendable {
    public var stateDirectory: StateDirectory
    /// Host processes at once (tasks and environment setups), counted in cores: a task of a
    /// job whose ``TaskResources`` ask for N cores takes N slots (local backend).
    public var slots: Int
    /// Megabytes the memory asks of running tasks may add up to (local backend); nil: not
    /// counted. The machine's physical memory by default.
    public var memoryMB: Int? = SchedulerConfiguration.machineMemoryMB()
    /// Between SIGTERM and SIGKILL when a running task is canceled.
    public var cancelGracePeriod: Duration
    /// How often running tasks' channels and deadlines are checked.
    public var tickInterval: Duration
    /// What a job's runs start from when its submitter sent no environment
    /// (``JobSpec/submitterEnvironment``), before the job's `env` and the task's own; by default
    /// ``minimalEnvironment(from:)``. It is kept with each job, so a restart does not change it.
    public var baseEnvironment: [String: String]
    /// Where time comes from; tests drive a ``ManualClock``.
    package var clock: any SchedulerClock = SystemClock()
    /// How long the local backend waits, after a process exited, for whatever it started to
    /// let go of its output before reporting the exit anyway.
    package var outputGrace: Duration = .milliseconds(200)
    /// Adopt the orphans of tasks (as this process's subreaper) and kill those of tasks that
    /// ended: for a process that is only a scheduler (`taskmon serve`, `taskmon demo`), not one
    /// that has children of its own to look after (a test process).
    public var adoptsOrphans = false
    /// What runs the tasks.
    public var backend: BackendChoice = .local
    /// Events kept in the database for subscribers to replay; older ones are pruned.
    public var maxStoredEvents = 200_000

    public init(
        stateDirectory: StateDirectory,
        slots: Int = ProcessInfo.processInfo.activeProcessorCount,
        cancelGracePeriod: Duration = .seconds(5),
        tickInterval: Duration = .milliseconds(100),
        baseEnvironment: [String: String] = SchedulerConfiguration.minimalEnvironment()
    ) {
        self.stateDirectory = stateDirectory
        self.slots = max(1, slots)
        self.cancelGracePeriod = cancelGracePeriod
        self.tickInterval = tickInterval
        self.baseEnvironment = baseEnvironment
    }
}

extension SchedulerConfiguration {
    /// This machine's physical memory in MiB (`MemTotal` of /proc/meminfo); nil if unreadable.
    public static func machineMemoryMB() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let words = line.split(separator: " ")
            guard words.count >= 2, let kilobytes = Int(words[1]) else { return nil }
            return kilobytes / 1024
        }
        return nil
    }
}

/// Which backend runs a scheduler's tasks.
public enum BackendChoice: Sendable, Equatable {
    /// Host processes on this machine.
    case local
    /// Job arrays on a Slurm cluster; output, channels and Python payloads must be on a
    /// filesystem the compute nodes share (the state dir, or the spool given to it).
    case slurm(SlurmSettings)
}
