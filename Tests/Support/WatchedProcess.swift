import CTaskmonPOSIX
import Glibc

/// A process followed through a pidfd, so that "is it still running?" is asked of that one
/// process and never of whatever gets its number next. Under a busy suite pid_max (32,768)
/// wraps within seconds, and the tests that hand a pid out again on purpose (`makeNextPid`)
/// make a freed number's next owner arrive at once: a check by number then saw a stranger
/// alive where the process it meant had long been killed.
public final class WatchedProcess: Sendable, CustomStringConvertible {
    /// Its number, for reading /proc or signalling while it is known to run.
    public let pid: Int32
    /// -1 when it had already ended by the time it was opened.
    private let pidfd: Int32

    /// Opens `pid` now: call it while the process is known to run (right after it said its
    /// pid); one already gone is watched as ended.
    public init(_ pid: Int32) {
        self.pid = pid
        pidfd = pid > 0 ? ctaskmon_pidfd_open(pid) : -1
    }

    deinit {
        if pidfd >= 0 { close(pidfd) }
    }

    public var description: String { String(pid) }

    /// True until it exits (a zombie waiting for its parent has ended).
    public var isAlive: Bool { !ended(waitingMilliseconds: 0) }

    /// Waits up to `seconds` for it to end; true once it has. Blocks the calling thread: call
    /// it off Swift's cooperative pool (as the end-to-end tests' bodies run).
    public func gone(within seconds: Double) -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            let left = ContinuousClock.now.duration(to: end) / .milliseconds(1)
            if ended(waitingMilliseconds: Int32(max(0, min(left, 60_000)))) { return true }
            if ContinuousClock.now >= end { return false }
        }
    }

    /// Waits like ``gone(within:)`` without holding a thread of the cooperative pool.
    public func gone(within seconds: Double) async -> Bool {
        await within(seconds) { !self.isAlive }
    }

    /// A pidfd reads ready once its process has exited; a failed poll (EINTR) says nothing.
    private func ended(waitingMilliseconds millis: Int32) -> Bool {
        guard pidfd >= 0 else { return true }
        var entry = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, millis) > 0
    }
}
