import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

/// Every order in which a task's exit report, its deadline, a cancel and a shutdown can reach
/// the reducer, with exits before and after the deadline and with either outcome.
@Suite("Lifecycle reducer: every race between exit, timeout, cancel and shutdown")
struct LifecycleRaceTests {
    enum Input: CaseIterable, CustomStringConvertible {
        case exitReport, deadlineTick, cancel, shutdown
        var description: String {
            switch self {
            case .exitReport: "exit"
            case .deadlineTick: "tick"
            case .cancel: "cancel"
            case .shutdown: "shutdown"
            }
        }
    }

    struct Case: CustomStringConvertible, Sendable {
        var order: [Input]
        var exitAt: Double
        var code: Int32
        var description: String { "\(order) exit \(code) at \(exitAt)" }
    }

    /// Inputs are processed at 0.6, 1.1, 1.6, 2.1 s in the given order; the deadline is 1.0 s.
    /// An exit report carries a moment no later than the time it is processed.
    static let processingTimes = [0.6, 1.1, 1.6, 2.1]
    static let deadline = 1.0

    static var cases: [Case] {
        var all: [Case] = []
        for order in permutations(Input.allCases) {
            let reportTime = processingTimes[order.firstIndex(of: .exitReport)!]
            for exitAt in [0.5, 1.05] where exitAt <= reportTime {
                for code: Int32 in [0, 3] { all.append(Case(order: order, exitAt: exitAt, code: code)) }
            }
        }
        return all
    }

    /// What the reference semantics say, decided by event time: the first end the scheduler
    /// decided before the exit reached it wins, unless the process had already ended by itself
    /// (shutdown); a cancel that was acknowledged always ends CANCELED; otherwise the exit's
    /// own moment against the deadline, then its code. A task a shutdown sent back to the queue
    /// can still be canceled there.
    static func expected(_ c: Case) -> TaskStatus {
        var decided: Input?
        for (input, time) in zip(c.order, processingTimes) {
            if input == .exitReport { break }
            guard decided == nil else { continue }
            switch input {
            case .deadlineTick where time >= deadline: decided = .deadlineTick
            case .cancel: decided = .cancel
            case .shutdown: decided = .shutdown
            default: break
            }
        }
        let decidedAt = decided.map { processingTimes[c.order.firstIndex(of: $0)!] }
        if decided == .cancel { return .canceled }
        if decided == .shutdown, let decidedAt, decidedAt <= c.exitAt {
            // Back in the queue for the next start, where a later cancel still reaches it.
            let exitIndex = c.order.firstIndex(of: .exitReport)!
            return c.order[exitIndex...].contains(.cancel) ? .canceled : .submitted
        }
        if c.exitAt >= deadline { return .timedOut }
        return c.code == 0 ? .completed : .failed
    }

    @Test("the outcome follows event time, never processing order, and every move is legal", arguments: cases)
    func race(_ c: Case) throws {
        var h = LifecycleHarness(slots: 1, grace: .seconds(5))
        let job = h.submit([["x"]]) { $0.taskTimeout = Self.deadline }
        let run = h.answerLaunch(at: 0)
        for (input, time) in zip(c.order, Self.processingTimes) {
            switch input {
            case .exitReport: h.exit(run, .exited(c.code), at: c.exitAt)
            case .deadlineTick: h.advance(to: time)
            case .cancel: _ = try h.cancel(job, at: time)
            case .shutdown: h.shutdown(at: time)
            }
        }
        #expect(h.status(job, 0) == Self.expected(c), "\(c)")
        // Each recorded move was one the status machine allows.
        var previous = TaskStatus.submitted
        for status in h.path(job, 0) {
            #expect(previous.canMove(to: status), "\(previous.name) → \(status.name) in \(c)")
            previous = status
        }
        #expect(h.lifecycle.runs.isEmpty)
        #expect(h.lifecycle.busySlots == 0)
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        var result: [[T]] = []
        for (index, item) in items.enumerated() {
            var rest = items
            rest.remove(at: index)
            for tail in permutations(rest) { result.append([item] + tail) }
        }
        return result
    }
}
