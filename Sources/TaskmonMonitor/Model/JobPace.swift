import Foundation

/// How fast a job's tasks finish and when, at that pace, the rest will have: throughput
/// since its first task started, and the ETA of the tasks left.
struct JobPace {
    /// Tasks finished a second, on average since the first one started.
    var tasksPerSecond: Double
    /// Seconds until the rest are done at that pace; nil when nothing is left.
    var remaining: TimeInterval?

    /// nil until the job has run a while and finished something, or once it is over.
    init?(_ job: JobRecord, now: Date) {
        guard job.info.finishedAt == nil, let started = job.firstStartedAt ?? (job.hasStarted ? job.info.submittedAt : nil) else {
            return nil
        }
        let elapsed = now.timeIntervalSince(started)
        let done = job.doneCount
        guard elapsed >= 1, done > 0 else { return nil }
        tasksPerSecond = Double(done) / elapsed
        let left = job.taskCount - done
        remaining = left > 0 ? Double(left) / tasksPerSecond : nil
    }

    /// `12.5/s · ETA 3m05s`.
    var text: String {
        let rate = tasksPerSecond >= 10 ? String(format: "%.0f/s", tasksPerSecond)
            : tasksPerSecond >= 0.1 ? String(format: "%.1f/s", tasksPerSecond) : String(format: "%.1f/min", tasksPerSecond * 60)
        guard let remaining else { return rate }
        return rate + " · ETA " + Formatting.duration(remaining)
    }
}
