import Foundation
import TaskmonKit

/// One job as the monitor knows it: the job's own facts and counts, and its tasks once loaded.
public struct JobRecord: Sendable, Equatable {
    public var info: JobInfo
    /// Tasks per status, indexed by `TaskStatus.rawValue`.
    public var counts: [Int]
    /// The job's tasks once fetched (the tasks screen asks for them), by task id.
    public var tasks: [TaskRow]?
    /// Tasks of a partly loaded job that events told us about before their page arrived.
    var taskPagesPending = false
    /// The last event the job's facts and counts reflect.
    var seq: UInt64
    /// Grows whenever one of its task rows changes: the tasks screen re-sorts only then.
    public internal(set) var rowsRevision: UInt64 = 0

    init(_ info: JobInfo, seq: UInt64) {
        self.info = info
        self.seq = seq
        counts = TaskStatus.allCases.map { info.count($0) }
    }

    public var id: JobID { info.id }
    public var taskCount: Int { info.taskCount }

    /// Tasks in a final state. Interrupted tasks waiting for a retry are not final; once the
    /// job is complete, every task is (an interrupted one has used up its retries).
    public var doneCount: Int {
        if info.finishedAt != nil { return taskCount }
        return TaskStatus.allCases.filter(\.isFinished).reduce(0) { $0 + counts[$1.rawValue] }
    }

    /// 0...100: the share of tasks done.
    public var progress: Int { taskCount == 0 ? 100 : doneCount * 100 / taskCount }

    /// The job's overall state in one word, for the jobs list.
    public var summaryStatus: TaskStatus {
        if counts[TaskStatus.running.rawValue] + counts[TaskStatus.canceling.rawValue] > 0 { return .running }
        if counts[TaskStatus.assigned.rawValue] > 0 { return .assigned }
        if counts[TaskStatus.submitted.rawValue] > 0 { return .submitted }
        for status in [TaskStatus.failed, .environmentError, .timedOut, .interrupted, .canceled]
            where counts[status.rawValue] > 0 {
            return status
        }
        return .completed
    }

    /// How long the job has run: from submission to its end, or to `now`.
    public func duration(now: Date) -> TimeInterval {
        (info.finishedAt ?? now).timeIntervalSince(info.submittedAt)
    }
}
