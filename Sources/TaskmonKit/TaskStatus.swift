/// The eleven states of a task, with the reference scheduler's names and numeric values.
///
/// Encoded as its name (`"COMPLETED"`); the numeric value travels separately as `status_value`.
public enum TaskStatus: Int, CaseIterable, Sendable, Hashable, Comparable {
    case notSubmitted = 0
    case submitted = 1
    case assigned = 2
    case running = 3
    case canceling = 4
    case interrupted = 5
    case canceled = 6
    case environmentError = 7
    case completed = 8
    case timedOut = 9
    case failed = 10

    /// The reference's name, e.g. `ENVIRONMENT_ERROR`.
    public var name: String {
        switch self {
        case .notSubmitted: "NOT_SUBMITTED"
        case .submitted: "SUBMITTED"
        case .assigned: "ASSIGNED"
        case .running: "RUNNING"
        case .canceling: "CANCELING"
        case .interrupted: "INTERRUPTED"
        case .canceled: "CANCELED"
        case .environmentError: "ENVIRONMENT_ERROR"
        case .completed: "COMPLETED"
        case .timedOut: "TIMED_OUT"
        case .failed: "FAILED"
        }
    }

    /// Looks a status up by its reference name; case-insensitive, `-` accepted for `_`.
    public init?(name: String) {
        let wanted = name.uppercased().replacingOccurrences(of: "-", with: "_")
        guard let match = TaskStatus.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = match
    }

    /// A state a task leaves only through an explicit retry.
    ///
    /// INTERRUPTED is final only once its retries are spent; the scheduler decides that,
    /// so it is not listed here.
    public var isFinished: Bool {
        switch self {
        case .canceled, .environmentError, .completed, .timedOut, .failed: true
        default: false
        }
    }

    /// A state in which a host process may exist for the task.
    public var isActive: Bool {
        self == .assigned || self == .running || self == .canceling
    }

    public static func < (lhs: TaskStatus, rhs: TaskStatus) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension TaskStatus: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), let status = TaskStatus(rawValue: number) {
            self = status
            return
        }
        let text = try container.decode(String.self)
        guard let status = TaskStatus(name: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown task status \(text)")
        }
        self = status
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

extension TaskStatus: CustomStringConvertible {
    public var description: String { name }
}

/// Thrown when something asks a task to move to a state it cannot reach from where it is.
public struct IllegalTransition: Error, Equatable, CustomStringConvertible {
    public let from: TaskStatus
    public let to: TaskStatus
    public init(from: TaskStatus, to: TaskStatus) {
        self.from = from
        self.to = to
    }
    public var description: String { "illegal task status change \(from.name) → \(to.name)" }
}

extension TaskStatus {
    /// The one place that says which status changes are legal.
    ///
    /// - NOT_SUBMITTED → SUBMITTED, CANCELED
    /// - SUBMITTED → ASSIGNED, CANCELED, ENVIRONMENT_ERROR (the job's setup failed before it ran)
    /// - ASSIGNED → RUNNING, CANCELING, CANCELED, ENVIRONMENT_ERROR, INTERRUPTED, FAILED (it could not start)
    /// - RUNNING → COMPLETED, FAILED, TIMED_OUT, INTERRUPTED, CANCELING
    /// - CANCELING → CANCELED
    /// - INTERRUPTED → SUBMITTED (retried), CANCELED
    /// - any finished state (and INTERRUPTED) → SUBMITTED: an explicit retry
    public func canMove(to next: TaskStatus) -> Bool {
        switch (self, next) {
        case (.notSubmitted, .submitted), (.notSubmitted, .canceled): true
        case (.submitted, .assigned), (.submitted, .canceled), (.submitted, .environmentError): true
        case (.assigned, .running), (.assigned, .canceling), (.assigned, .canceled),
             (.assigned, .environmentError), (.assigned, .interrupted), (.assigned, .failed): true
        case (.running, .completed), (.running, .failed), (.running, .timedOut),
             (.running, .interrupted), (.running, .canceling): true
        case (.canceling, .canceled): true
        case (.interrupted, .submitted), (.interrupted, .canceled): true
        case (let from, .submitted) where from.isFinished: true
        default: false
        }
    }

    /// Returns `next` when the move is legal, throws ``IllegalTransition`` otherwise.
    public func moved(to next: TaskStatus) throws -> TaskStatus {
        guard canMove(to: next) else { throw IllegalTransition(from: self, to: next) }
        return next
    }
}
