import Foundation
import TaskmonKit

/// What the task list shows of one task: small, so a job of 100,000 tasks stays cheap.
/// The task detail screen fetches the full `TaskInfo` when it opens.
public struct TaskRow: Sendable, Equatable {
    public var id: TaskIndex
    public var name: String
    public var status: TaskStatus
    public var attempts: Int
    public var pid: Int32?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var progress: TaskProgress?
    public var exitCode: Int32?
    public var signal: Int32?
    public var exceptionType: String?
    public var cancellationReason: CancellationReason
    /// The last event this row reflects; older news is ignored.
    var seq: UInt64

    public init(_ info: TaskInfo, seq: UInt64) {
        self.init(TaskRowInfo(info), seq: seq)
    }

    public init(_ row: TaskRowInfo, seq: UInt64) {
        id = row.id
        name = row.name
        status = row.status
        attempts = row.attempts
        pid = row.pid
        startedAt = row.startedAt
        finishedAt = row.finishedAt
        progress = row.progress
        exitCode = row.exitCode
        signal = row.signal
        exceptionType = row.exceptionType
        cancellationReason = row.cancellationReason
        self.seq = seq
    }

    /// Applies a status change that happened at `time`.
    mutating func apply(_ change: TaskStatusChange, at time: Date) {
        let wasRunning = status == .running
        status = change.status
        attempts = change.attempts
        pid = change.pid ?? (change.status.isActive ? pid : nil)
        exitCode = change.exitCode
        signal = change.signal
        exceptionType = change.exceptionType
        cancellationReason = change.cancellationReason
        switch change.status {
        case .submitted, .assigned, .notSubmitted:
            // A new attempt (a retry, or an interrupted task queued again) starts from nothing.
            startedAt = nil
            finishedAt = nil
            progress = nil
            pid = nil
        case .running:
            if !wasRunning { startedAt = time }
            finishedAt = nil
        case .canceling:
            break
        default:
            finishedAt = time
        }
    }

    /// How long it ran: until it finished, or until `now` while it runs.
    public func duration(now: Date) -> TimeInterval? {
        guard let startedAt else { return nil }
        return (finishedAt ?? now).timeIntervalSince(startedAt)
    }

    /// The few words that say why it ended: exit code, signal, exception type, cancel reason.
    public var shortMessage: String {
        switch status {
        case .canceled, .canceling:
            return cancellationReason == .none ? "" : cancellationReason.name.lowercased()
        case .failed, .environmentError:
            // The scheduler's own "ExitStatus" says less than the code itself.
            if let exceptionType, exceptionType != "ExitStatus" { return exceptionType }
            if let signal { return "signal \(signal)" }
            if let exitCode { return "exit \(exitCode)" }
            return exceptionType ?? ""
        case .interrupted:
            if let signal { return "signal \(signal)" }
            return ""
        case .timedOut:
            return "timeout"
        case .completed:
            return exitCode.map { $0 == 0 ? "" : "exit \($0)" } ?? ""
        default:
            return progress?.info ?? ""
        }
    }
}
