import Foundation
import TaskmonKit

/// Plain-text tables and times for the list commands.
enum Format {
    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `3s`, `4m05s`, `2h03m`, `5d02h`.
    static func duration(_ seconds: TimeInterval) -> String {
        let total = Int(seconds.rounded(.down))
        if seconds < 10 { return String(format: "%.1fs", max(0, seconds)) }
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        if total < 86400 { return String(format: "%dh%02dm", total / 3600, total % 3600 / 60) }
        return String(format: "%dd%02dh", total / 86400, total % 86400 / 3600)
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return Wire.formatDate(date)
    }

    /// Counts per status, in status order: `COMPLETED 3, FAILED 1`.
    static func counts(_ counts: [String: Int]) -> String {
        TaskStatus.allCases.compactMap { status in counts[status.name].map { "\(status.name) \($0)" } }.joined(separator: ", ")
    }

    /// The short reason a person wants in a task list: exit code, exception, cancel reason.
    static func note(_ task: TaskInfo) -> String {
        switch task.status {
        case .canceled: return task.cancellationMessage ?? task.cancellationReason.name
        case .failed, .timedOut, .environmentError, .interrupted:
            if let exception = task.exception { return "\(exception.type): \(exception.message)" }
            return task.exitCode.map { "exit \($0)" } ?? ""
        case .running, .canceling:
            if let progress = task.progress { return "\(progress.percent)%" + (progress.info.map { " \($0)" } ?? "") }
            return ""
        case .completed:
            return task.result.map { "result: \($0.display)" } ?? ""
        default:
            return ""
        }
    }

    /// One line of task text for a table: controls and newlines made harmless.
    static func oneLine(_ text: String, limit: Int = 60) -> String {
        var cleaned = visible(text).replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\t", with: " ")
        if cleaned.count > limit { cleaned = String(cleaned.prefix(limit - 1)) + "…" }
        return cleaned
    }

    /// Task text made safe to print to a terminal: escape sequences and other controls shown
    /// in caret notation (`^[`), so that a task's output cannot move the cursor, set the
    /// title or change colours; newlines and tabs stay. `taskmon output` is the raw way.
    static func visible(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09: result.unicodeScalars.append(scalar)
            case 0x00..<0x20: result += "^" + String(UnicodeScalar(scalar.value + 0x40)!)
            case 0x7F: result += "^?"
            case 0x80..<0xA0: result += "\\u{\(String(scalar.value, radix: 16))}"
            case 0x202A...0x202E, 0x2066...0x2069: result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = Wire.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
