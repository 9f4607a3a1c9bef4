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
        var cleaned = String(text.unicodeScalars.map { scalar -> Character in
            scalar.properties.generalCategory == .control ? " " : Character(scalar)
        })
        if cleaned.count > limit { cleaned = String(cleaned.prefix(limit - 1)) + "…" }
        return cleaned
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = Wire.encoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
