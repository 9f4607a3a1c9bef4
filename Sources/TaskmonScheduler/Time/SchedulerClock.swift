import Foundation
import Glibc
import Synchronization

/// Where the scheduler and its backends take the time from: the system's, or one a test drives.
///
/// One clock serves the scheduler and every backend report, so that the moment an exit
/// happened and the deadline it is judged against are on the same scale.
package protocol SchedulerClock: Sendable {
    /// The current moment. Cheap and callable from any thread (the reaper stamps exits with it).
    func now() -> Moment
    /// Returns at or after `deadline` on this clock; throws `CancellationError` when the
    /// calling task is cancelled.
    func sleep(until deadline: Moment) async throws
}

/// The machine's clocks: CLOCK_MONOTONIC for order and deadlines, the wall clock for records.
package struct SystemClock: SchedulerClock {
    package init() {}

    package func now() -> Moment {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Moment(monotonic: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec), wall: Date())
    }

    package func sleep(until deadline: Moment) async throws {
        let left = now().duration(to: deadline)
        if left > .zero { try await Task.sleep(for: left) }
    }
}

/// A clock that moves only when a test says so; sleepers wake as `advance` passes their deadline.
///
/// Lets tests of timeouts, kill grace and retries decide exactly when time passes, instead of
/// sleeping and hoping the machine kept up.
package final class ManualClock: SchedulerClock {
    private struct Sleeper {
        var deadline: Moment
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Moment
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    package init(start: Moment = Moment(monotonic: 1_000_000_000, wall: Date(timeIntervalSince1970: 1_800_000_000))) {
        state = Mutex(State(now: start))
    }

    package func now() -> Moment { state.withLock { $0.now } }

    /// How many tasks are asleep on this clock (a test waits for the scheduler to settle).
    package var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until.
    package var nextDeadline: Moment? { state.withLock { $0.sleepers.values.map(\.deadline).min() } }

    package func advance(by duration: Duration) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.advanced(by: duration)
            let due = state.sleepers.filter { $0.value.deadline <= state.now }
            for id in due.keys { state.sleepers[id] = nil }
            return due.values.map(\.continuation)
        }
        woken.forEach { $0.resume() }
    }

    package func sleep(until deadline: Moment) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { state -> Bool in
                    if deadline <= state.now || Task.isCancelled { return true }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
        try Task.checkCancellation()
    }
}
