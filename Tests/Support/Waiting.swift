import Foundation

/// Runs a test's blocking body (processes spawned and waited for, polling loops, blocking
/// client calls, a raw socket) on a thread of its own: off Swift's cooperative pool, and off
/// GCD's global queue too.
///
/// The pool has one thread per core, two on CI: blocking tests run on it starved each other and
/// every async test of the suite on a busy machine. GCD's global threads are as few as the
/// cores and serve the scheduler's own timers (a host's hello timeout, the output grace). An
/// `#expect` that fails in here still fails the run and names its file and line; Swift Testing
/// shows its test as «unknown», since the test's task-local context does not cross threads.
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread { continuation.resume(with: Result { try body() }) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}

/// Checks `condition` every 20 ms until it holds or `seconds` of the clock have passed, and
/// says whether it held. On the clock, not counted sleeps: a loaded machine stretches every
/// sleep, so loops that count them end too early.
@discardableResult
public func within(_ seconds: Double = 60, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// ``within(_:_:)`` for a blocking body (one already off the pool, in ``offPool(_:)``).
public func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}
