import Synchronization

/// A gate that async callers wait at until it is opened once (for good).
final class AsyncGate: Sendable {
    private let state: Mutex<[CheckedContinuation<Void, Never>]?>

    /// - Parameter open: start open (nobody ever waits).
    init(open: Bool = false) {
        state = Mutex(open ? nil : [])
    }

    /// Returns at once when open, else when ``open()`` is called.
    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiting = state.withLock { waiters -> Bool in
                guard waiters != nil else { return false }
                waiters!.append(continuation)
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    /// Lets every waiter (and every later caller) through. Idempotent.
    func open() {
        let waiters = state.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        waiters.forEach { $0.resume() }
    }
}
