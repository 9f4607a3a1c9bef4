/// Why a task was canceled, with the reference's names and values.
public enum CancellationReason: Int, CaseIterable, Sendable, Hashable {
    case none = 0
    /// A user canceled this task or its job.
    case direct = 1
    /// Another task of a `cancel_on_task_failure` job failed.
    case consequential = 2

    public var name: String {
        switch self {
        case .none: "NONE"
        case .direct: "DIRECT"
        case .consequential: "CONSEQUENTIAL"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = match
    }
}

extension CancellationReason: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let reason = CancellationReason(name: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown cancellation reason \(text)")
        }
        self = reason
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// Queue priority of a job: higher first, then submission order.
public enum JobPriority: Int, CaseIterable, Sendable, Hashable, Comparable {
    case low = 0
    case belowNormal = 1
    case normal = 2
    case aboveNormal = 3
    case high = 4

    public var name: String {
        switch self {
        case .low: "low"
        case .belowNormal: "below_normal"
        case .normal: "normal"
        case .aboveNormal: "above_normal"
        case .high: "high"
        }
    }

    /// Accepts `high`, `HIGH`, `above-normal`, `ABOVE_NORMAL`, or the numeric value as text.
    public init?(name: String) {
        let wanted = name.lowercased().replacingOccurrences(of: "-", with: "_")
        if let number = Int(wanted), let match = JobPriority(rawValue: number) {
            self = match
            return
        }
        guard let match = Self.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = match
    }

    public static func < (lhs: JobPriority, rhs: JobPriority) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension JobPriority: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int.self), let priority = JobPriority(rawValue: number) {
            self = priority
            return
        }
        let text = try container.decode(String.self)
        guard let priority = JobPriority(name: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown priority \(text)")
        }
        self = priority
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
