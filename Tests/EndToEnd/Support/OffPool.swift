import Dispatch
import Foundation

/// Runs a test's blocking body (processes spawned and waited for, polling loops, blocking
/// client calls) on a thread of its own, off Swift's cooperative pool.
///
/// That pool has one thread per core: two here. Blocking tests run on it starved each other and
/// every async test of the suite on a busy two-core machine. An `#expect` that fails in here
/// still fails the run and names its file and line; Swift Testing shows its test as «unknown»,
/// since the test's task-local context does not cross threads.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
