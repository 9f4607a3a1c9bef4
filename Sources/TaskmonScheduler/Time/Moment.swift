import Foundation
import Glibc

/// An instant as the scheduler reasons about it: a monotonic reading for ordering and
/// deadlines, and the wall-clock time to record and show.
///
/// Every report a backend makes carries the moment it *happened* (a process's exit: when it
/// was reaped), so that a report processed late never becomes a wrong decision.
package struct Moment: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Nanoseconds on a monotonic clock; only differences and order mean anything.
    package var monotonic: Int64
    /// The same instant on the wall clock.
    package var wall: Date

    package init(monotonic: Int64, wall: Date) {
        self.monotonic = monotonic
        self.wall = wall
    }

    package static func < (lhs: Moment, rhs: Moment) -> Bool { lhs.monotonic < rhs.monotonic }
    package static func == (lhs: Moment, rhs: Moment) -> Bool { lhs.monotonic == rhs.monotonic }
    package func hash(into hasher: inout Hasher) { hasher.combine(monotonic) }

    /// This moment moved by `duration` (saturating, so a huge timeout cannot trap).
    package func advanced(by duration: Duration) -> Moment {
        let nanoseconds = Self.nanoseconds(duration)
        let (sum, overflow) = monotonic.addingReportingOverflow(nanoseconds)
        return Moment(
            monotonic: overflow ? (nanoseconds > 0 ? .max : .min) : sum,
            wall: wall.addingTimeInterval(Double(nanoseconds) / 1e9))
    }

    package static func + (lhs: Moment, rhs: Duration) -> Moment { lhs.advanced(by: rhs) }

    /// How long from this moment to `later` (negative when `later` is earlier).
    package func duration(to later: Moment) -> Duration {
        .nanoseconds(later.monotonic &- monotonic)
    }

    package var description: String { "Moment(\(monotonic) ns, \(wall))" }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds > 0 ? .max : .min }
        let (sum, overflow2) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflow2 ? (seconds > 0 ? .max : .min) : sum
    }
}
