import Foundation
import TaskmonKit

/// What one earlier attempt of a retried task returned, kept when the next attempt begins:
/// the task's own fields as they were then. Its output stays on disk, moved aside
/// (``StateDirectory/attemptSpool(job:task:attempt:)``) when the next attempt launches.
struct AttemptRecord: Sendable, Equatable {
    var attempt: Int
    var status: TaskStatus
    var host: String?
    var submittedAt: Date?
    var assignedAt: Date?
    var startedAt: Date?
    var finishedAt: Date?
    var exitCode: Int32?
    var signal: Int32?
    var progress: TaskProgress?
    var result: TaskResult?
    var properties: [String: PropertyValue]
    var exception: TaskException?
    var cancellationMessage: String?
    var cancellationReason: CancellationReason
    var warnings: [String]
    /// Where its output is when not in its own files: a failed setup's.
    var outputPrefix: String?
    var peakRSS: Int64?
    var cpuTime: Double?

    /// The task's current attempt, as it ends.
    init(_ task: TaskState) {
        attempt = task.attempts
        status = task.status
        host = task.host
        submittedAt = task.submittedAt
        assignedAt = task.assignedAt
        startedAt = task.startedAt
        finishedAt = task.finishedAt
        exitCode = task.exitCode
        signal = task.signal
        progress = task.progress
        result = task.result
        properties = task.properties
        exception = task.exception
        cancellationMessage = task.cancellationMessage
        cancellationReason = task.cancellationReason
        warnings = task.warnings
        outputPrefix = task.outputPrefix
        peakRSS = task.peakRSS
        cpuTime = task.cpuTime
    }

    init(attempt: Int, status: TaskStatus) {
        self.attempt = attempt
        self.status = status
        properties = [:]
        cancellationReason = .none
        warnings = []
    }

    var summary: AttemptSummary {
        AttemptSummary(
            attempt: attempt, status: status, startedAt: startedAt, finishedAt: finishedAt, exitCode: exitCode,
            signal: signal, exceptionType: exception?.type, peakRSS: peakRSS, cpuTime: cpuTime)
    }

    /// The task as it was in this attempt, in the shape clients know; `current` gives what
    /// attempts do not change (name, command, the history).
    func info(current: TaskInfo) -> TaskInfo {
        var info = current
        info.attempt = attempt
        info.status = status
        info.pid = nil
        info.host = host
        info.message = nil
        info.submittedAt = submittedAt
        info.assignedAt = assignedAt
        info.startedAt = startedAt
        info.finishedAt = finishedAt
        info.exitCode = exitCode
        info.signal = signal
        info.progress = progress
        info.result = result
        info.properties = properties
        info.exception = exception
        info.cancellationMessage = cancellationMessage
        info.cancellationReason = cancellationReason
        info.warnings = warnings
        info.peakRSS = peakRSS
        info.cpuTime = cpuTime
        return info
    }
}

/// The usage of a process's resources, from its reaping (`wait4`).
package struct ResourceUsage: Sendable, Equatable {
    /// Largest resident set, in bytes (of the process or any child it waited for).
    package var peakRSS: Int64
    /// User plus system CPU time, in seconds (its own and its waited-for children's).
    package var cpuTime: Double

    package init(peakRSS: Int64, cpuTime: Double) {
        self.peakRSS = peakRSS
        self.cpuTime = cpuTime
    }
}

extension ResourceUsage {
    /// From what `wait4` filled in: Linux gives `ru_maxrss` in kilobytes.
    init(_ usage: rusage) {
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        self.init(peakRSS: Int64(usage.ru_maxrss) * 1024, cpuTime: seconds(usage.ru_utime) + seconds(usage.ru_stime))
    }
}
