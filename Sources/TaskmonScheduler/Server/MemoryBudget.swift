import Synchronization

/// Bytes that all connections together may hold in one direction: a per-connection bound
/// alone lets 30 connections sending 60 MB lines take 1.9 GB.
final class MemoryBudget: Sendable {
    let limit: Int
    private let used = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` (negative gives back) unless that would pass the limit (a give-back, or
    /// a `force`d charge, always succeeds).
    func charge(_ bytes: Int, force: Bool = false) -> Bool {
        used.withLock { used in
            if bytes > 0 && !force && used + bytes > limit { return false }
            used = max(0, used + bytes)
            return true
        }
    }
}
