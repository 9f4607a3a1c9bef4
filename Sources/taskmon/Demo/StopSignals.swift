import Dispatch
import Foundation
import Synchronization

/// SIGINT, SIGTERM and SIGHUP turned into a value the demo can wait for, so that a signal
/// never kills it before it has stopped its scheduler and its tasks.
///
/// Used while the demo starts, and for the whole run with `--no-monitor`. The monitor installs
/// its own handlers for the same signals (and returns 128+signal), so the demo lets go with
/// ``release()`` before opening it.
final class StopSignals: Sendable {
    static let numbers = [SIGINT, SIGTERM, SIGHUP]

    private struct State {
        var received: Int32?
        var waiters: [CheckedContinuation<Int32, Never>] = []
        var released = false
    }

    private let state = Mutex(State())
    /// Set once here and only cancelled later; Dispatch sources are thread-safe, but not
    /// marked Sendable.
    nonisolated(unsafe) private let sources: [any DispatchSourceSignal]

    init() {
        sources = Self.numbers.map { number -> any DispatchSourceSignal in
            // Ignored, so that only the source sees it; tasks get default handlers back
            // (the scheduler spawns them with POSIX_SPAWN_SETSIGDEF).
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: .global())
        }
        for (source, number) in zip(sources, Self.numbers) {
            source.setEventHandler { [weak self] in self?.arrived(number) }
            source.resume()
        }
    }

    /// The first signal that arrived, if any.
    var received: Int32? { state.withLock { $0.received } }

    /// Returns the first signal, waiting for one if none came yet.
    func wait() async -> Int32 {
        await withCheckedContinuation { continuation in
            let signal = state.withLock { state -> Int32? in
                if state.received == nil { state.waiters.append(continuation) }
                return state.received
            }
            if let signal { continuation.resume(returning: signal) }
        }
    }

    /// Stops listening, for the monitor to take the signals over.
    func release() {
        let first = state.withLock { state in
            defer { state.released = true }
            return !state.released
        }
        if first { sources.forEach { $0.cancel() } }
    }

    private func arrived(_ number: Int32) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int32, Never>] in
            guard state.received == nil else { return [] }
            state.received = number
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: number) }
    }
}
