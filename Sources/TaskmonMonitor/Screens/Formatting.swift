import Foundation
import TaskmonKit

/// Short human forms of times, sizes and statuses for narrow columns.
package enum Formatting {
    /// `0.4s`, `12s`, `3m05s`, `2h14m`, `3d04h`.
    package static func duration(_ seconds: TimeInterval?) -> String {
        guard let seconds, seconds.isFinite else { return "" }
        let s = max(0, seconds)
        if s < 10 { return String(format: "%.1fs", s) }
        let whole = Int(s)
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return "\(whole / 60)m\(pad2(whole % 60))s" }
        if whole < 86_400 { return "\(whole / 3600)h\(pad2(whole % 3600 / 60))m" }
        return "\(whole / 86_400)d\(pad2(whole % 86_400 / 3600))h"
    }

    /// How long ago, coarsely: `<1m`, `3m`, `2h`, `4d`. Minutes at the finest, so an idle
    /// screen changes at most once a minute and writes nothing in between.
    package static func age(since date: Date?, now: Date) -> String {
        guard let date else { return "" }
        let whole = max(0, Int(now.timeIntervalSince(date)))
        if whole < 60 { return "<1m" }
        if whole < 3600 { return "\(whole / 60)m" }
        if whole < 86_400 { return "\(whole / 3600)h" }
        return "\(whole / 86_400)d"
    }

    /// Wall-clock time of day, `14:03:27`, or the date when not today.
    package static func clock(_ date: Date?, now: Date) -> String {
        guard let date else { return "" }
        let calendar = Calendar.current
        let parts = calendar.dateComponents([.hour, .minute, .second], from: date)
        if calendar.isDate(date, inSameDayAs: now) {
            return "\(pad2(parts.hour ?? 0)):\(pad2(parts.minute ?? 0)):\(pad2(parts.second ?? 0))"
        }
        let day = calendar.dateComponents([.month, .day], from: date)
        return "\(pad2(day.month ?? 0))-\(pad2(day.day ?? 0)) \(pad2(parts.hour ?? 0)):\(pad2(parts.minute ?? 0))"
    }

    /// `512 B`, `4.0 KiB`, `1.2 GiB`.
    package static func bytes(_ count: Int64) -> String {
        if count < 1024 { return "\(count) B" }
        var value = Double(count)
        for unit in ["KiB", "MiB", "GiB", "TiB"] {
            value /= 1024
            if value < 1024 || unit == "TiB" { return String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, unit) }
        }
        return "\(count) B"
    }

    /// `done/total` in at most `width` columns: `100000/100000` becomes `100k/100k`.
    package static func fraction(_ done: Int, _ total: Int, width: Int) -> String {
        let plain = "\(done)/\(total)"
        if plain.count <= width { return plain }
        return "\(compact(done))/\(compact(total))"
    }

    /// `950`, `12.3k`, `100k`, `1.2M`.
    package static func compact(_ value: Int) -> String {
        if value < 1000 { return String(value) }
        if value < 10_000 { return String(format: "%.1fk", Double(value) / 1000) }
        if value < 1_000_000 { return "\(value / 1000)k" }
        if value < 10_000_000 { return String(format: "%.1fM", Double(value) / 1_000_000) }
        return "\(value / 1_000_000)M"
    }

    /// A status in lists: short enough for a narrow column.
    package static func label(_ status: TaskStatus) -> String {
        switch status {
        case .notSubmitted: "new"
        case .submitted: "queued"
        case .assigned: "assigned"
        case .running: "running"
        case .canceling: "canceling"
        case .interrupted: "interrupted"
        case .canceled: "canceled"
        case .environmentError: "env error"
        case .completed: "completed"
        case .timedOut: "timed out"
        case .failed: "failed"
        }
    }

    private static func pad2(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
