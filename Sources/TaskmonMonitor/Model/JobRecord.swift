import Foundation
import TaskmonKit

/// One job as the monitor knows it: the job's own facts and counts, and its tasks once loaded.
package struct JobRecord: Sendable, Equatable {
    package var info: JobInfo
    /// Tasks per status, indexed by `TaskStatus.rawValue`.
    package var counts: [Int]
    /// The job's tasks once fetched (the tasks screen asks for them), by task id.
    package var tasks: [TaskRow]?
    /// Tasks of a partly loaded job that events told us about before their page arrived.
    var taskPagesPending = false
    /// The last event the job's facts and counts reflect.
    var seq: UInt64
    /// Grows whenever one of its task rows changes: the tasks screen re-sorts only then.
    package internal(set) var rowsRevision: UInt64 = 0
    /// When its first task started, as far as the monitor saw it (an event, or a loaded row);
    /// nil while no task has run. A snapshot does not say: see ``duration(now:)``.
    var firstStartedAt: Date?
    /// The percent of each running task that reported progress, so the job's share done moves
    /// with its tasks and not only when one ends.
    var runningPercent: [TaskIndex: Int] = [:]
    /// A task of it was seen running (or done running), even if all of them ended canceled.
    var ranSomething = false

    init(_ info: JobInfo, seq: UInt64) {
        self.info = info
        self.seq = seq
        counts = TaskStatus.allCases.map { info.count($0) }
        ranSomething = hasStarted
    }

    package var id: JobID { info.id }
    package var taskCount: Int { info.taskCount }

    /// Tasks in a final state. Interrupted tasks waiting for a retry are not final; once the
    /// job is complete, every task is (an interrupted one has used up its retries).
    package var doneCount: Int {
        if info.finishedAt != nil { return taskCount }
        return TaskStatus.allCases.filter(\.isFinished).reduce(0) { $0 + counts[$1.rawValue] }
    }

    /// 0...100: the share of the work done: finished tasks, plus the reported progress of
    /// running ones. 100 only once every task is final.
    package var progress: Int {
        guard taskCount > 0 else { return 100 }
        let done = doneCount
        if done == taskCount { return 100 }
        let running = runningPercent.values.reduce(0) { $0 + max(0, min(100, $1)) }
        return min(99, (done * 100 + running) / taskCount)
    }

    /// Tasks that ended in failure (FAILED, ENVIRONMENT_ERROR, TIMED_OUT): what `R` retries.
    package var failedCount: Int {
        TaskStatus.retryableFailures.reduce(0) { $0 + counts[$1.rawValue] }
    }

    /// Whether any task of the job has run (or is running): a job still all queued has no TIME.
    var hasStarted: Bool {
        if firstStartedAt != nil || ranSomething { return true }
        let waiting = counts[TaskStatus.submitted.rawValue] + counts[TaskStatus.notSubmitted.rawValue]
            + counts[TaskStatus.assigned.rawValue]
        // Canceled while queued never ran either; a job of only those has no run time.
        return waiting + counts[TaskStatus.canceled.rawValue] < taskCount
    }

    /// The job's overall state in one word, for the jobs list.
    package var summaryStatus: TaskStatus {
        if counts[TaskStatus.running.rawValue] + counts[TaskStatus.canceling.rawValue] > 0 { return .running }
        if counts[TaskStatus.assigned.rawValue] > 0 { return .assigned }
        if counts[TaskStatus.submitted.rawValue] > 0 { return .submitted }
        for status in [TaskStatus.failed, .environmentError, .timedOut, .interrupted, .canceled]
            where counts[status.rawValue] > 0 {
            return status
        }
        return .completed
    }

    /// What a task's status change tells about the job as a whole: when it started running,
    /// what runs now, and that a retried task makes a finished job active again (until the
    /// scheduler says it is done again with `job_completed`).
    mutating func note(_ change: TaskStatusChange, at time: Date) {
        if change.status == .running, firstStartedAt == nil { firstStartedAt = time }
        if change.previous == .running || change.previous == .canceling || change.status == .running { ranSomething = true }
        if change.status != .running && change.status != .canceling, !runningPercent.isEmpty {
            runningPercent[change.taskID] = nil
        }
        if !change.status.isFinished, change.status != .canceling, info.finishedAt != nil {
            info.finishedAt = nil
        }
    }

    /// How long the job has run: from its first task's start (submission when the snapshot
    /// did not say) to its end, or to `now`; nil while no task has started.
    package func duration(now: Date) -> TimeInterval? {
        guard hasStarted else { return nil }
        let start = firstStartedAt ?? info.submittedAt
        return max(0, (info.finishedAt ?? now).timeIntervalSince(start))
    }
}

extension TaskStatus {
    /// The ends a "retry the failed tasks" means: the task ran (or its environment did) and
    /// did not succeed. Canceled tasks were stopped on purpose and are left alone.
    package static let retryableFailures: [TaskStatus] = [.failed, .environmentError, .timedOut]
}
