import Foundation

/// A named property's value: the reference allows string, integer, float and bytes only.
///
/// JSON: `{"type": "int", "value": 100}`; bytes travel base64-encoded.
public enum PropertyValue: Sendable, Hashable {
    case string(String)
    case int(Int64)
    case float(Double)
    case bytes(Data)

    /// `string`, `int`, `float` or `bytes`.
    public var typeName: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .float: "float"
        case .bytes: "bytes"
        }
    }

    /// The value as a person reads it; bytes as size and leading hex.
    public var displayText: String {
        switch self {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .float(let number): return String(number)
        case .bytes(let data):
            let hex = data.prefix(16).map { String(format: "%02x", $0) }.joined(separator: " ")
            return "\(data.count) bytes: \(hex)\(data.count > 16 ? " …" : "")"
        }
    }

    /// Builds a value from its type name and its JSON text form (`bytes` given as base64).
    public init?(typeName: String, text: String) {
        switch typeName {
        case "string": self = .string(text)
        case "int":
            guard let number = Int64(text) else { return nil }
            self = .int(number)
        case "float":
            guard let number = Double(text) else { return nil }
            self = .float(number)
        case "bytes":
            guard let data = Data(base64Encoded: text) else { return nil }
            self = .bytes(data)
        default: return nil
        }
    }
}

extension PropertyValue: Codable {
    private enum CodingKeys: String, CodingKey { case type, value }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch type {
        case "string": self = .string(try container.decode(String.self, forKey: .value))
        case "int": self = .int(try container.decode(Int64.self, forKey: .value))
        case "float": self = .float(try container.decode(Double.self, forKey: .value))
        case "bytes":
            let text = try container.decode(String.self, forKey: .value)
            guard let data = Data(base64Encoded: text) else {
                throw DecodingError.dataCorruptedError(forKey: .value, in: container, debugDescription: "bytes value is not base64")
            }
            self = .bytes(data)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "property type must be string, int, float or bytes, not \(type)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(typeName, forKey: .type)
        switch self {
        case .string(let text): try container.encode(text, forKey: .value)
        case .int(let number): try container.encode(number, forKey: .value)
        case .float(let number): try container.encode(number, forKey: .value)
        case .bytes(let data): try container.encode(data.base64EncodedString(), forKey: .value)
        }
    }
}

/// What a task sets as its result: a display text for people, plus the value itself.
///
/// `encoding` says how to read `data`: `text` (the data is the text), `json`, or `pickle`
/// (base64 of a Python pickle, for the Python client).
public struct TaskResult: Codable, Sendable, Hashable {
    public var display: String
    public var type: String
    public var encoding: String
    public var data: String

    public init(display: String, type: String = "str", encoding: String = "text", data: String? = nil) {
        self.display = display
        self.type = type
        self.encoding = encoding
        self.data = data ?? display
    }
}

/// An exception a task raised (or that stands in for a non-zero exit): type, message and trace.
public struct TaskException: Codable, Sendable, Hashable {
    public var type: String
    public var message: String
    public var trace: String

    public init(type: String, message: String, trace: String = "") {
        self.type = type
        self.message = message
        self.trace = trace
    }
}

/// A task's progress: an integer (usually a percentage) and optional free text.
///
/// The number is the task's own: the reference's `set_progress` takes any int ("the progress
/// parameter can range from 20 to 2500"), so it is kept as reported, within Int32; displays
/// that draw a bar clamp it to 0...100 themselves.
public struct TaskProgress: Codable, Sendable, Hashable {
    public var percent: Int
    public var info: String?

    public init(percent: Int, info: String? = nil) {
        self.percent = max(Int(Int32.min), min(Int(Int32.max), percent))
        self.info = info
    }
}
