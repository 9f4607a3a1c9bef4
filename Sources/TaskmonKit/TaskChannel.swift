import Foundation

/// One line a task wrote to its channel file (`$TASKMON_CHANNEL`).
public enum ChannelRecord: Sendable, Equatable {
    case property(name: String, value: PropertyValue)
    case result(TaskResult)
    case progress(TaskProgress)
    case exception(TaskException)
}

/// The environment variables every task is given.
public enum TaskEnvironment {
    public static let channel = "TASKMON_CHANNEL"
    public static let jobID = "TASKMON_JOB_ID"
    public static let taskID = "TASKMON_TASK_ID"
    public static let attempt = "TASKMON_ATTEMPT"
}

extension ChannelRecord {
    /// Reads one channel line; throws a message fit to show the user as a task warning.
    public static func parse(line: Substring) throws(ChannelLineError) -> ChannelRecord {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw ChannelLineError("not a JSON object: \(Self.excerpt(line))")
        }
        guard object.count == 1, let (kind, body) = object.first, let fields = body as? [String: Any] else {
            throw ChannelLineError("expected one of {\"property\": …}, {\"result\": …}, {\"progress\": …}, {\"exception\": …}: \(Self.excerpt(line))")
        }
        switch kind {
        case "property":
            guard let name = fields["name"] as? String, !name.isEmpty else {
                throw ChannelLineError("property without a name: \(Self.excerpt(line))")
            }
            let typed = fields.filter { $0.key != "name" }
            guard typed.count == 1, let (type, raw) = typed.first else {
                throw ChannelLineError("property \(name) needs exactly one of string, int, float, bytes")
            }
            switch (type, raw) {
            case ("string", let text as String): return .property(name: name, value: .string(text))
            case ("int", let number as NSNumber) where number.doubleValue == number.doubleValue.rounded():
                // 1e300 is a whole number too, but no Int64: int64Value would make it Int64.min.
                guard let value = Self.exactInt64(number) else {
                    throw ChannelLineError("property \(name): int \(number) is out of range (-2^63 … 2^63-1); send it as a float")
                }
                return .property(name: name, value: .int(value))
            case ("float", let number as NSNumber): return .property(name: name, value: .float(number.doubleValue))
            case ("bytes", let text as String):
                guard let data = Data(base64Encoded: text) else {
                    throw ChannelLineError("property \(name): bytes must be base64")
                }
                return .property(name: name, value: .bytes(data))
            default:
                throw ChannelLineError("property \(name): \(type) is not string, int, float or bytes of the right kind")
            }
        case "result":
            guard let display = fields["display"] as? String else {
                throw ChannelLineError("result without display text: \(Self.excerpt(line))")
            }
            return .result(TaskResult(
                display: display,
                type: fields["type"] as? String ?? "str",
                encoding: fields["encoding"] as? String ?? "text",
                data: fields["data"] as? String))
        case "progress":
            guard let percent = fields["percent"] as? NSNumber else {
                throw ChannelLineError("progress without a percent: \(Self.excerpt(line))")
            }
            guard percent.doubleValue.isFinite, (Double(Int32.min)...Double(Int32.max)).contains(percent.doubleValue) else {
                throw ChannelLineError("progress \(percent) is not a whole number from \(Int32.min) to \(Int32.max)")
            }
            let info = fields["info"].flatMap { $0 is NSNull ? nil : "\($0)" }
            return .progress(TaskProgress(percent: percent.intValue, info: info))
        case "exception":
            guard let type = fields["type"] as? String else {
                throw ChannelLineError("exception without a type: \(Self.excerpt(line))")
            }
            return .exception(TaskException(
                type: type, message: fields["message"] as? String ?? "", trace: fields["trace"] as? String ?? ""))
        default:
            throw ChannelLineError("unknown record \"\(kind)\": \(Self.excerpt(line))")
        }
    }

    /// The record as one channel line (no trailing newline).
    public func line() -> String {
        let object: [String: Any]
        switch self {
        case .property(let name, let value):
            var fields: [String: Any] = ["name": name]
            switch value {
            case .string(let text): fields["string"] = text
            case .int(let number): fields["int"] = number
            case .float(let number): fields["float"] = number
            case .bytes(let data): fields["bytes"] = data.base64EncodedString()
            }
            object = ["property": fields]
        case .result(let result):
            object = ["result": ["display": result.display, "type": result.type, "encoding": result.encoding, "data": result.data]]
        case .progress(let progress):
            var fields: [String: Any] = ["percent": progress.percent]
            if let info = progress.info { fields["info"] = info }
            object = ["progress": fields]
        case .exception(let exception):
            object = ["exception": ["type": exception.type, "message": exception.message, "trace": exception.trace]]
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// The number as an Int64 when it is one exactly (JSON numbers may come as doubles).
    static func exactInt64(_ number: NSNumber) -> Int64? {
        let type = String(cString: number.objCType)
        if type == "q" || type == "l" || type == "i" || type == "s" || type == "c" { return number.int64Value }
        if type == "Q" || type == "L" { return number.uint64Value <= UInt64(Int64.max) ? Int64(number.uint64Value) : nil }
        let double = number.doubleValue
        // Doubles from -2^63 up to (not including) 2^63 convert exactly when whole.
        guard double.isFinite, double >= -9_223_372_036_854_775_808.0, double < 9_223_372_036_854_775_808.0 else { return nil }
        return Int64(double)
    }

    static func excerpt(_ line: Substring) -> String {
        line.count > 80 ? "\(line.prefix(80))…" : String(line)
    }
}

/// A channel line the scheduler could not use; shown to the user as a task warning.
public struct ChannelLineError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Appends records to a task's channel file, as `taskmon task set-property` and friends do.
public enum ChannelWriter {
    /// Appends one line with a single `write` on an `O_APPEND` descriptor, so lines from
    /// concurrent writers never interleave.
    public static func append(_ record: ChannelRecord, to path: String) throws {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ChannelWriteError(path: path, errno: errno) }
        defer { close(fd) }
        let bytes = Array((record.line() + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ChannelWriteError(path: path, errno: errno)
            }
            written += n
        }
    }
}

/// The channel file could not be written.
public struct ChannelWriteError: Error, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var description: String { "cannot write the task channel \(path): \(String(cString: strerror(errno)))" }
}
