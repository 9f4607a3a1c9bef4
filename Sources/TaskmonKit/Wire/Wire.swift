import Foundation

/// The scheduler protocol: JSON-RPC 2.0, one JSON object a line, over the Unix socket.
///
/// A connection opens with `hello` carrying ``Wire/protocolVersion``; a scheduler that speaks
/// another version answers with ``RPCErrorCode/unsupportedVersion`` and a message saying both.
public enum Wire {
    /// Bumped on any change an older peer would misread.
    public static let protocolVersion = 1
    /// A line longer than this is refused rather than buffered without end.
    public static let maxLineBytes = 64 << 20
    /// `standard_output`/`standard_error` in a task's JSON are cut at this many bytes.
    public static let defaultOutputCap = 1 << 20

    /// The encoder every peer uses: ISO 8601 dates with milliseconds, sorted keys.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Wire.formatDate(date))
        }
        return encoder
    }

    /// The decoder every peer uses; reads dates with or without fractional seconds.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Wire.parseDate(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an ISO 8601 date: \(text)")
            }
            return date
        }
        return decoder
    }

    /// `2026-12-02T00:55:01.123Z`: byte for byte what `Date.ISO8601FormatStyle` with
    /// fractional seconds writes (milliseconds rounded down), three times faster; every event
    /// and every task row carries dates, so this runs several times per task.
    public static func formatDate(_ date: Date) -> String {
        WireDate.format(date) ?? date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    public static func parseDate(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        return try? Date.ISO8601FormatStyle().parse(text)
    }
}

/// The requests a scheduler answers.
public enum RPCMethod: String, Sendable, CaseIterable {
    case hello, submit, cancel, retry, status, shutdown, subscribe
    case listJobs = "list_jobs"
    case getJob = "get_job"
    case getTask = "get_task"
    case readOutput = "read_output"
    case retryTasks = "retry_tasks"
}

/// Names of the notifications a scheduler sends to subscribers.
public enum RPCNotificationName {
    /// `params` is a ``SchedulerEvent``.
    public static let event = "event"
    /// `params` is a ``ResyncNotice``: the subscriber fell behind and must start again from a snapshot.
    public static let resync = "resync"
}

/// Error codes: JSON-RPC's own, and taskmon's (positive).
public enum RPCErrorCode: Int, Sendable {
    case parseError = -32700
    case invalidRequest = -32600
    case methodNotFound = -32601
    case invalidParams = -32602
    case internalError = -32603
    case notFound = 1
    case invalidSpec = 2
    case unsupportedVersion = 3
    case illegalState = 4
    case shuttingDown = 5
    case helloRequired = 6
    /// The scheduler cannot commit to its database (a full disk, say); nothing was acknowledged.
    case storageError = 7
}

/// A JSON-RPC error object; thrown by the client when the scheduler answers with one.
public struct RPCError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    public init(_ code: RPCErrorCode, _ message: String) {
        self.init(code: code.rawValue, message: message)
    }

    public var description: String { message }
}

/// A request on the wire.
public struct RPCRequest<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: Int
    public var method: String
    public var params: Params

    public init(id: Int, method: RPCMethod, params: Params) {
        self.id = id
        self.method = method.rawValue
        self.params = params
    }
}

/// A response on the wire: exactly one of `result` and `error`.
public struct RPCResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var id: Int?
    public var result: Result?
    public var error: RPCError?

    public init(id: Int?, result: Result) {
        self.id = id
        self.result = result
    }

    public init(id: Int?, error: RPCError) {
        self.id = id
        self.error = error
    }
}

extension RPCResponse {
    // JSON-RPC 2.0 requires `id` in every response, `null` when the request's id could not be
    // read (a parse error, an over-long line, a refused peer); the synthesized encoder would drop it.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jsonrpc, forKey: .jsonrpc)
        if let id { try c.encode(id, forKey: .id) } else { try c.encodeNil(forKey: .id) }
        try c.encodeIfPresent(result, forKey: .result)
        try c.encodeIfPresent(error, forKey: .error)
    }
}

/// A notification on the wire (no id, no answer).
public struct RPCNotification<Params: Codable & Sendable>: Codable, Sendable {
    public var jsonrpc = "2.0"
    public var method: String
    public var params: Params

    public init(method: String, params: Params) {
        self.method = method
        self.params = params
    }
}

/// The part of any incoming message that says what it is, decoded before the rest.
public struct RPCEnvelope: Decodable, Sendable {
    public var jsonrpc: String?
    public var id: Int?
    public var method: String?
    public var error: RPCError?
}

/// Nothing: for requests without parameters and answers without a value.
public struct Empty: Codable, Sendable, Equatable {
    public init() {}
}
