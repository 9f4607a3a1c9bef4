import Foundation
import TaskmonKit
import TaskmonMonitor

/// Plain-text tables and times for the list commands.
enum Format {
    /// Columns padded to their widest cell (in terminal columns: `漢字` takes four); the last
    /// column is not padded. Cells are expected sanitized (``oneLine(_:limit:)``).
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], TerminalText.displayWidth(of: cell))
            }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[index] - TerminalText.displayWidth(of: cell)))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    /// `3.2s`, `4m05s`, `2h03m`, `5d02h`: the monitor's formatter, so both say the same.
    static func duration(_ seconds: TimeInterval) -> String { Formatting.duration(seconds) }

    /// `512 B`, `4.0 KiB`, `1.2 GiB`: the monitor's formatter too.
    static func bytes(_ count: Int64) -> String { Formatting.bytes(count) }

    static func time(_ date: Date?) -> String {
        guard let date else { return "-" }
        return Wire.formatDate(date)
    }

    /// Counts per status, in status order: `COMPLETED 3, FAILED 1`.
    static func counts(_ counts: [String: Int]) -> String {
        TaskStatus.allCases.compactMap { status in counts[status.name].map { "\(status.name) \($0)" } }.joined(separator: ", ")
    }

    /// The short reason a person wants in a task list: the monitor's, with the exception's
    /// message, the cancellation message or the result where the task has one.
    static func note(_ task: TaskInfo) -> String { TaskNote.line(task) }

    /// One line of task text for a table, at most `limit` columns: escape sequences removed,
    /// controls and newlines made visible or spaces, never a wide character cut in half.
    static func oneLine(_ text: String, limit: Int = 60) -> String {
        let flat = text.replacingOccurrences(of: "\r\n", with: " ").replacingOccurrences(of: "\n", with: " ")
        return TerminalText.truncate(flat, toColumns: limit).text
    }

    /// Task text made safe to print to a terminal, through the monitor's sanitizer: escape
    /// sequences (OSC 52 clipboard writes, title changes, colours) removed whole, other
    /// controls shown as `^X`, invalid UTF-8 as U+FFFD, bidi overrides named; newlines stay.
    /// `taskmon output` is the raw way.
    static func visible(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TerminalText.sanitize(String($0)).text }
            .joined(separator: "\n")
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = Wire.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
