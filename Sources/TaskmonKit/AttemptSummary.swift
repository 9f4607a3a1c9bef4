import Foundation

/// One earlier attempt of a retried task, as the task's `attempt_history` lists it: enough to
/// choose one; `get_task` with `attempt` gives all the attempt kept (output included).
///
/// A scheduler keeps the last ``AttemptSummary/keptLimit`` earlier attempts of each task;
/// older ones (their records and their output files) are dropped as new ones are kept.
public struct AttemptSummary: Codable, Sendable, Equatable {
    /// The attempt's number: 1 for the first run of the task.
    public var attempt: Int
    public var status: TaskStatus
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var exceptionType: String?
    /// Largest resident set of the attempt's process (and the children it waited for), in bytes.
    public var peakRSS: Int64?
    /// User plus system CPU time of the attempt's process and its waited-for children, in seconds.
    public var cpuTime: Double?

    /// Earlier attempts a scheduler keeps per task, beside the current one.
    public static let keptLimit = 10

    public init(
        attempt: Int, status: TaskStatus, startedAt: Date? = nil, finishedAt: Date? = nil, exitCode: Int32? = nil,
        signal: Int32? = nil, exceptionType: String? = nil, peakRSS: Int64? = nil, cpuTime: Double? = nil
    ) {
        self.attempt = attempt
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.signal = signal
        self.exceptionType = exceptionType
        self.peakRSS = peakRSS
        self.cpuTime = cpuTime
    }

    enum CodingKeys: String, CodingKey {
        case attempt
        case status = "task_status"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case exitCode = "exit_code"
        case signal
        case exceptionType = "exception_type"
        case peakRSS = "peak_rss"
        case cpuTime = "cpu_time"
    }
}
