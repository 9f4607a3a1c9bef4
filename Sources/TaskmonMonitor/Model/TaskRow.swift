import Foundation
import TaskmonKit

/// A task as the task list shows it: the scheduler's list row (`TaskRowInfo`, small, so a job
/// of 100,000 tasks stays cheap) and the number of the last event it reflects. Its fields read
/// as the row's (`task.status`). The task detail screen fetches the full `TaskInfo` when it opens.
@dynamicMemberLookup
package struct TaskRow: Sendable, Equatable {
    package var info: TaskRowInfo
    /// The last event this row reflects; older news is ignored.
    var seq: UInt64

    package init(_ info: TaskInfo, seq: UInt64) {
        self.init(TaskRowInfo(info), seq: seq)
    }

    package init(_ row: TaskRowInfo, seq: UInt64) {
        info = row
        self.seq = seq
    }

    package subscript<Value>(dynamicMember field: WritableKeyPath<TaskRowInfo, Value>) -> Value {
        get { info[keyPath: field] }
        set { info[keyPath: field] = newValue }
    }

    /// Applies a info.status change that happened at `time`.
    mutating func apply(_ change: TaskStatusChange, at time: Date) {
        let wasRunning = info.status == .running
        info.status = change.status
        info.attempts = change.attempts
        info.pid = change.pid ?? (change.status.isActive ? info.pid : nil)
        info.exitCode = change.exitCode
        info.signal = change.signal
        info.exceptionType = change.exceptionType
        info.cancellationReason = change.cancellationReason
        info.peakRSS = change.peakRSS
        info.cpuTime = change.cpuTime
        // The backend's reason for a wait no longer holds once the task moves on.
        if change.status != .submitted && change.status != .assigned { info.message = nil }
        switch change.status {
        case .submitted, .assigned, .notSubmitted:
            // A new attempt (a retry, or an interrupted task queued again) starts from nothing.
            info.startedAt = nil
            info.finishedAt = nil
            info.progress = nil
            info.pid = nil
        case .running:
            if !wasRunning { info.startedAt = time }
            info.finishedAt = nil
        case .canceling:
            break
        default:
            info.finishedAt = time
        }
    }

    /// How long it ran: until it finished, or until `now` while it runs.
    package func duration(now: Date) -> TimeInterval? {
        guard let startedAt = info.startedAt else { return nil }
        return (info.finishedAt ?? now).timeIntervalSince(startedAt)
    }

    /// The few words that say why it ended (see ``TaskRowInfo/shortMessage``).
    package var shortMessage: String { info.shortMessage }
}
