import TaskmonKit

extension TaskRowInfo {
    /// The few words that say why it ended: exit code, signal, exception type, cancel reason;
    /// while it runs, its progress text. The one short message of a task, in the monitor's
    /// lists and (with more detail, ``TaskNote``) in `taskmon show`.
    package var shortMessage: String {
        switch status {
        case .canceled, .canceling:
            return cancellationReason == .none ? "" : cancellationReason.name.lowercased()
        case .failed, .environmentError:
            // The scheduler's own "ExitStatus" says less than the code itself.
            if let type = exceptionType, type != "ExitStatus" { return type }
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
        case .submitted, .assigned:
            // Why it waits: a cluster's pending reason ("waiting for free resources").
            return message ?? progress?.info ?? ""
        default:
            return progress?.info ?? ""
        }
    }
}

/// A task's note for a one-line listing: its exception (`ValueError: bad frame`), else its
/// ``TaskRowInfo/shortMessage`` followed by what a full task adds (the cancellation message,
/// the result).
package enum TaskNote {
    package static func line(_ task: TaskInfo) -> String {
        let short = TaskRowInfo(task).shortMessage
        var detail: String?
        switch task.status {
        case .failed, .environmentError, .timedOut, .interrupted:
            // The exception says it best, in its own words: `ValueError: bad frame`.
            if let exception = task.exception { return "\(exception.type): \(exception.message)" }
        case .canceled, .canceling:
            detail = task.cancellationMessage
        case .completed:
            detail = task.result.map { "result: \($0.display)" }
        case .running, .assigned:
            if let progress = task.progress { return "\(progress.percent)%" + (progress.info.map { " \($0)" } ?? "") }
        default:
            break
        }
        guard let detail, !detail.isEmpty else { return short }
        return short.isEmpty ? detail : "\(short): \(detail)"
    }
}
