import Foundation
import TaskmonKit

/// Writes the JSON of the events a running job sends most, byte for byte as `Wire.encoder()`
/// would, without JSONEncoder's cost.
///
/// Three status changes a task (assigned, running, final) made JSONEncoder the largest single
/// cost of tracking a short task: about a tenth of the scheduler's CPU. Every other event still
/// goes through JSONEncoder; the tests compare the two on every field and hostile strings.
enum EventJSON {
    /// The event's JSON object, or nil for a kind this writer leaves to JSONEncoder.
    static func encode(seq: UInt64, time: Date, body: EventBody) -> Data? {
        guard case .taskStatusChanged(let change) = body else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(256)
        // Keys in sorted order, as `.sortedKeys` writes them; nil optionals are left out.
        append(&out, #"{"data":{"attempts":"#)
        append(&out, String(change.attempts))
        if let seconds = change.cpuTime, seconds.isFinite {
            append(&out, #","cpu_time":"#)
            append(&out, jsonNumber(seconds))
        }
        if let type = change.exceptionType {
            append(&out, #","exception_type":"#)
            appendString(&out, type)
        }
        if let code = change.exitCode {
            append(&out, #","exit_code":"#)
            append(&out, String(code))
        }
        append(&out, #","job_id":"#)
        append(&out, String(change.jobID))
        append(&out, #","name":"#)
        appendString(&out, change.name)
        if let bytes = change.peakRSS {
            append(&out, #","peak_rss":"#)
            append(&out, String(bytes))
        }
        if let pid = change.pid {
            append(&out, #","pid":"#)
            append(&out, String(pid))
        }
        append(&out, #","previous":"#)
        appendString(&out, change.previous.name)
        if let signal = change.signal {
            append(&out, #","signal":"#)
            append(&out, String(signal))
        }
        append(&out, #","status":"#)
        appendString(&out, change.status.name)
        append(&out, #","task_cancellation_reason":"#)
        appendString(&out, change.cancellationReason.name)
        append(&out, #","task_id":"#)
        append(&out, String(change.taskID))
        append(&out, #"},"seq":"#)
        append(&out, String(seq))
        append(&out, #","time":"#)
        appendString(&out, Wire.formatDate(time))
        append(&out, #","type":"#)
        appendString(&out, body.typeName)
        out.append(UInt8(ascii: "}"))
        return Data(out)
    }

    /// A Double as JSONEncoder writes it: the shortest form that reads back the same, with no
    /// `.0` on whole numbers (`1`, `0.75`, `1e-07`).
    static func jsonNumber(_ value: Double) -> String {
        let text = value.description
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    private static func append(_ out: inout [UInt8], _ text: String) {
        out.append(contentsOf: text.utf8)
    }

    /// A JSON string as JSONEncoder writes it (with `.withoutEscapingSlashes`): `"` and `\`
    /// escaped, \b \f \n \r \t by name, other controls as \u00XX, everything else as UTF-8.
    static func appendString(_ out: inout [UInt8], _ text: String) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
