import Foundation

/// What a task list shows of one task, small enough to send 100,000 at once: the answer to
/// `get_job` with `rows_only`. On the wire an array, not an object, so a page carries no keys:
///
/// `[id, name, status_value, attempts, pid, started_at, finished_at, progress_percent,
///   progress_info, exit_code, signal, exception_type, cancellation_reason_value,
///   exception_message, peak_rss?, cpu_time?, message?]`
///
/// `exception_message` is the first line of the exception's message, at most
/// ``messageLimit`` characters: enough to group failures by what they say. Rows without it
/// (older schedulers) read as nil. `message`, the backend's word on a waiting task (a
/// cluster's pending reason), is there only when the task has one.
///
/// `peak_rss` (bytes) and `cpu_time` (seconds) are what a finished local attempt used; rows
/// without them (or from older schedulers) end before them and read as nil.
///
/// Times are seconds since 1970 (numbers); absent values are `null`.
public struct TaskRowInfo: Codable, Sendable, Equatable {
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
    /// The first line of the exception's message, cut at ``messageLimit`` characters.
    public var exceptionMessage: String?
    /// Largest resident set of the finished attempt, in bytes.
    public var peakRSS: Int64?
    /// CPU time of the finished attempt, in seconds.
    public var cpuTime: Double?
    /// Why a waiting task waits, in the backend's plain words (see ``TaskInfo/message``).
    public var message: String?

    /// Longest `exception_message` a row carries.
    public static let messageLimit = 200

    public init(_ task: TaskInfo) {
        id = task.id
        name = task.name
        status = task.status
        attempts = task.attempts
        pid = task.pid
        startedAt = task.startedAt
        finishedAt = task.finishedAt
        progress = task.progress
        exitCode = task.exitCode
        signal = task.signal
        exceptionType = task.exception?.type
        cancellationReason = task.cancellationReason
        exceptionMessage = task.exception.map { exception in
            let firstLine = exception.message.prefix { $0 != "\n" }
            return String(firstLine.prefix(Self.messageLimit))
        }
        peakRSS = task.peakRSS
        cpuTime = task.cpuTime
        message = task.message.map { String($0.prefix(Self.messageLimit)) }
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        id = try c.decode(TaskIndex.self)
        name = try c.decode(String.self)
        let value = try c.decode(Int.self)
        guard let status = TaskStatus(rawValue: value) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "no task status \(value)")
        }
        self.status = status
        attempts = try c.decode(Int.self)
        pid = try c.decodeIfPresent(Int32.self)
        startedAt = try c.decodeIfPresent(Double.self).map(Date.init(timeIntervalSince1970:))
        finishedAt = try c.decodeIfPresent(Double.self).map(Date.init(timeIntervalSince1970:))
        let percent = try c.decodeIfPresent(Int.self)
        let info = try c.decodeIfPresent(String.self)
        progress = percent.map { TaskProgress(percent: $0, info: info) }
        exitCode = try c.decodeIfPresent(Int32.self)
        signal = try c.decodeIfPresent(Int32.self)
        exceptionType = try c.decodeIfPresent(String.self)
        cancellationReason = CancellationReason(rawValue: try c.decode(Int.self)) ?? .none
        exceptionMessage = c.isAtEnd ? nil : try c.decodeIfPresent(String.self)
        peakRSS = c.isAtEnd ? nil : try c.decodeIfPresent(Int64.self)
        cpuTime = c.isAtEnd ? nil : try c.decodeIfPresent(Double.self)
        message = c.isAtEnd ? nil : try c.decodeIfPresent(String.self)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(id)
        try c.encode(name)
        try c.encode(status.rawValue)
        try c.encode(attempts)
        try c.encode(pid)
        try c.encode(startedAt?.timeIntervalSince1970)
        try c.encode(finishedAt?.timeIntervalSince1970)
        try c.encode(progress?.percent)
        try c.encode(progress?.info)
        try c.encode(exitCode)
        try c.encode(signal)
        try c.encode(exceptionType)
        try c.encode(cancellationReason.rawValue)
        try c.encode(exceptionMessage)
        // Only finished local attempts have usage, and only waiting tasks a message: other rows
        // stay as short as before. The message is last, so usage (maybe nulls) comes before it.
        if peakRSS != nil || cpuTime != nil || message != nil {
            try c.encode(peakRSS)
            try c.encode(cpuTime)
        }
        if let message { try c.encode(message) }
    }
}
