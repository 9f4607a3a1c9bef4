import CTaskmonPOSIX
import Foundation  // only for Thread
import Glibc
import Synchronization

/// The one owner of waiting for the children a `ProcessLauncher` started.
///
/// It never calls `waitpid(-1)`: other code in this process (tests, Foundation.Process, libraries)
/// may have children of its own, and reaping those would steal their exit statuses. Instead every
/// child gets a pidfd, which becomes readable once the child has exited; one lazily started thread
/// waits on all of them with epoll and reaps exactly the pid whose pidfd fired.
///
/// Launching threads add pidfds to the epoll set themselves: epoll_ctl is safe while another thread
/// sits in epoll_wait, and a descriptor that is (or becomes) ready wakes that wait. So registering a
/// child costs no extra wake-up, and a child that exits before `launch` returns is still seen (its
/// pidfd is readable from the moment it is added, and epoll is level-triggered). The eventfd is only
/// used to tell the thread to stop once its launcher is gone.
///
/// It may also serve the ``OutputPump`` of the same children from its thread: a child's end
/// closes its pipes a moment before its pidfd turns readable, so one wake-up usually finds
/// both, and the pipes are served first, so that the exit is reported with its output complete.
final class ProcessReaper: Sendable {
    private struct State {
        var live = 0
        /// Children watched and not yet reaped. Reaping and signalling both hold the lock, so
        /// a signal can never reach the group of a leader that has been reaped.
        var unreaped: Set<Int32> = []
        var threadStarted = false
        var stopWhenIdle = false
        /// A pump is served from this thread and has not shut down: the thread must go on.
        var servingPump = false

        /// Released, every child reaped, the pump (if any) shut down: the thread may end.
        var done: Bool { stopWhenIdle && live == 0 && !servingPump }
    }

    private let onExit: @Sendable (Int32, ProcessTermination, ResourceUsage?) -> Void
    /// SIGKILL what is left of a child's process group just before reaping it.
    private let killGroupOnExit: Bool
    private let epollFD: Int32
    private let wakeFD: Int32
    /// errno from setting up epoll/eventfd; non-zero makes every launch fail instead of the init,
    /// whose signature cannot throw.
    private let setupErrno: Int32
    private let state = Mutex(State())
    private let pump: OutputPump.ServedElsewhere?

    /// Child tokens are `pid << 32 | pidfd`; pids are positive 32-bit values, so no child token
    /// has all high bits set.
    private static let wakeToken = UInt64.max
    private static let pumpToken = UInt64.max - 1

    /// With `pump`, its streams are served from this reaper's thread, which then starts at once
    /// and runs until the pump has shut down too. With `loop`, the reaper has no thread of its
    /// own: the loop serves it (``SchedulerLoop/add(_:serve:)``) until it would have ended.
    init(
        killGroupOnExit: Bool = false, pump: OutputPump.ServedElsewhere? = nil, loop: SchedulerLoop? = nil,
        onExit: @escaping @Sendable (Int32, ProcessTermination, ResourceUsage?) -> Void
    ) {
        self.onExit = onExit
        self.killGroupOnExit = killGroupOnExit
        self.pump = pump
        epollFD = ctaskmon_epoll_create()
        var failure = epollFD < 0 ? errno : 0
        wakeFD = failure == 0 ? ctaskmon_eventfd() : -1
        if failure == 0, wakeFD < 0 { failure = errno }
        if failure == 0, ctaskmon_epoll_add(epollFD, wakeFD, Self.wakeToken) != 0 { failure = errno }
        if failure == 0, let pump, ctaskmon_epoll_add(epollFD, pump.descriptor, Self.pumpToken) != 0 { failure = errno }
        setupErrno = failure
        // Without either, the thread starts with the first child.
        guard failure == 0, pump != nil || loop != nil else { return }
        state.withLock {
            $0.servingPump = pump != nil
            $0.threadStarted = true
        }
        // A loop that has ended already cannot serve us: a thread of our own does.
        if loop?.add(epollFD, serve: { [self] in serveAllReady() }) != true { startThread() }
    }

    deinit {
        // Runs after the thread has exited (it holds a strong reference while running).
        if wakeFD >= 0 { close(wakeFD) }
        if epollFD >= 0 { close(epollFD) }
    }

    var setupProblem: String? {
        setupErrno == 0 ? nil : "cannot set up child process monitoring: \(errorText(setupErrno))"
    }

    var liveChildren: Int { state.withLock { $0.live } }


    /// Children watched by any reaper of this process (a host pool's beside the local backend's).
    private static let everyUnreaped = Mutex<Set<Int32>>([])

    static func isWatchedByAny(_ pid: Int32) -> Bool { everyUnreaped.withLock { $0.contains(pid) } }

    /// Starts watching a child that became ours without being spawned by us (an orphan
    /// reparented to us as subreaper). If it cannot be watched, it is killed and reaped here.
    ///
    /// A process that is not our child is refused without a signal: the caller found `pid` in
    /// a list of our children, and the child it was may have been reaped since and its number
    /// given to someone else's process, whose group our reap would SIGKILL.
    func adopt(_ pid: Int32) throws(LaunchError) {
        let pidfd = ctaskmon_pidfd_open(pid)
        guard pidfd >= 0 else {
            let code = errno
            // Killed only while it is our unreaped child: then its number cannot be anyone else's.
            if ctaskmon_is_child(pid, -1) != 0 { abandon(pid) }
            throw LaunchError(message: "cannot monitor process \(pid): \(errorText(code))")
        }
        // Asked through the pidfd, which names this one process whatever happens to the number.
        guard ctaskmon_is_child(pid, pidfd) != 0 else {
            close(pidfd)
            throw LaunchError(message: "process \(pid) is not a child of this process")
        }
        try watch(pid, pidfd: pidfd)
    }

    /// Starts watching a child that ``ctaskmon_spawn`` just created, through its pidfd (which
    /// is now the reaper's). If it cannot be watched, it is killed and reaped here, so no
    /// untracked child (or zombie) is left behind.
    func watch(_ pid: Int32, pidfd: Int32) throws(LaunchError) {
        // Counted before it is added to epoll, so the reaper can never decrement first.
        let mustStartThread = state.withLock { state in
            state.live += 1
            state.unreaped.insert(pid)
            Self.everyUnreaped.withLock { _ = $0.insert(pid) }
            defer { state.threadStarted = true }
            return !state.threadStarted
        }
        if mustStartThread { startThread() }
        if ctaskmon_epoll_add(epollFD, pidfd, UInt64(UInt32(bitPattern: pid)) << 32 | UInt64(UInt32(pidfd))) != 0 {
            let code = errno
            close(pidfd)
            state.withLock {
                $0.live -= 1
                $0.unreaped.remove(pid)
            }
            Self.everyUnreaped.withLock { _ = $0.remove(pid) }
            abandon(pid)
            throw LaunchError(message: "cannot monitor process \(pid): \(errorText(code))")
        }
    }

    /// Sends `signal` to the process group of `pid` only while `pid` is a child not yet reaped:
    /// once it is reaped its number (and so its group id) may be given to another process.
    /// Returns whether the signal was sent.
    @discardableResult
    func signalGroupIfUnreaped(_ pid: Int32, _ signal: Int32) -> Bool {
        guard pid > 1 else { return false }
        return state.withLock { state in
            guard state.unreaped.contains(pid) else { return false }
            let sent = kill(-pid, signal) == 0
            // A child that moved itself into another group (setpgid) is signalled by its pid.
            guard getpgid(pid) != pid else { return sent }
            return kill(pid, signal) == 0 || sent
        }
    }

    /// Runs `body` while `pid` is a child not yet reaped, and returns what it returned; nil,
    /// without running it, once `pid` has been reaped. Meanwhile the reaping waits, so the
    /// number cannot be given to another process while `body` uses it (to move the process to
    /// another cgroup, say): the same guard as ``signalGroupIfUnreaped(_:_:)``'s. Keep it short.
    func whileUnreaped<T>(_ pid: Int32, _ body: () -> T) -> T? {
        state.withLock { state in state.unreaped.contains(pid) ? body() : nil }
    }

    /// Called when the launcher goes away: no new children can arrive, so the thread ends once
    /// the current ones are reaped (their onExit calls still happen).
    func stopWhenIdle() {
        let running = state.withLock { state in
            state.stopWhenIdle = true
            return state.threadStarted
        }
        if running {
            var one: UInt64 = 1
            _ = write(wakeFD, &one, MemoryLayout<UInt64>.size)
        }
    }

    private func startThread() {
        startNamedThread("taskmon-reaper") { [self] in run() }
    }

    private func run() {
        while serve(timeout: -1) {}
    }

    /// Serves what one wait can take, and more while a wait comes back full (a loop's turn may
    /// find more than that ready), so that the exits found are stamped with what the loop knew
    /// when it looked; a few rounds at most, so that busy pipes cannot starve the loop.
    private func serveAllReady() -> Bool {
        for _ in 0..<8 {
            switch serveOnce(timeout: 0) {
            case .stop: return false
            case .served(let count) where count == Self.waitCapacity: continue
            case .served: return true
            }
        }
        return true
    }

    private func serve(timeout: Int32) -> Bool {
        if case .stop = serveOnce(timeout: timeout) { return false }
        return true
    }

    private enum Served {
        case served(Int)
        case stop
    }

    private static let waitCapacity = 64

    /// One wait (`timeout` ms: -1 for ever, 0 to only look) and the reaping of what it found
    /// (how many were ready); `.stop` once the reaper is ``State/done``.
    private func serveOnce(timeout: Int32) -> Served {
        let capacity = Self.waitCapacity
        return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: capacity) { tokens -> Served in
            let count = ctaskmon_epoll_wait_timeout(epollFD, tokens.baseAddress, Int32(capacity), timeout)
            if count < 0 {
                let code = errno
                if code == EINTR { return .served(0) }
                // Only a programming error (bad descriptor) gets here; carrying on would silently
                // stop reporting exits, which the scheduler could never recover from.
                fatalError("taskmon reaper: epoll_wait failed: \(errorText(code))")
            }
            var stop = false
            let ready = tokens[0..<Int(count)]
            // The pipes first: an exit found with them is then reported with its output complete.
            if let pump, ready.contains(Self.pumpToken), !pump.serve({ _ = ctaskmon_epoll_remove(epollFD, pump.descriptor) }) {
                stop = state.withLock { state in
                    state.servingPump = false
                    return state.done
                }
            }
            for token in ready where token != Self.pumpToken {
                if token == Self.wakeToken {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, MemoryLayout<UInt64>.size)
                    stop = state.withLock { $0.done } || stop
                } else {
                    stop = reap(pid: Int32(truncatingIfNeeded: token >> 32), pidfd: Int32(truncatingIfNeeded: token)) || stop
                }
            }
            return stop ? .stop : .served(Int(count))
        }
    }

    /// Reaps one child whose pidfd is readable; returns whether the thread should now stop.
    private func reap(pid: Int32, pidfd: Int32) -> Bool {
        var status: Int32 = 0
        var usage = rusage()
        let result = state.withLock { state -> Int32 in
            // The exited leader is a zombie until the waitpid below, so its group id cannot have
            // been given to anyone else: whatever is left in the group is the child's own.
            if killGroupOnExit { _ = kill(-pid, SIGKILL) }
            // wait4, not waitpid: the child's peak RSS and CPU time come with its status.
            var result = retryingEINTR { wait4(pid, &status, WNOHANG, &usage) }
            if result == 0 {
                // A readable pidfd means the whole thread group has exited, so this returns at once;
                // it is here so an unexpected "not yet" cannot spin on the level-triggered event.
                result = retryingEINTR { wait4(pid, &status, 0, &usage) }
            }
            state.unreaped.remove(pid)
            Self.everyUnreaped.withLock { _ = $0.remove(pid) }
            return result
        }
        let termination: ProcessTermination
        if result == pid, ctaskmon_wifsignaled(status) != 0 {
            termination = .signaled(ctaskmon_wtermsig(status))
        } else if result == pid, ctaskmon_wifexited(status) != 0 {
            termination = .exited(ctaskmon_wexitstatus(status))
        } else {
            // ECHILD: something else reaped it (a waitpid(-1) elsewhere, or SIGCHLD set to SIG_IGN).
            // The status is gone, but the caller is still owed exactly one onExit.
            termination = .exited(-1)
        }
        // Removed explicitly rather than relying on close(): a concurrently spawned child holds a
        // copy of the descriptor until it execs, which would keep the stale registration alive and
        // report this pid a second time.
        _ = ctaskmon_epoll_remove(epollFD, pidfd)
        close(pidfd)
        let stop = state.withLock { state in
            state.live -= 1
            return state.done
        }
        onExit(pid, termination, result == pid ? ResourceUsage(usage) : nil)
        return stop
    }

    /// Kills and reaps a child we cannot monitor; its group is its own, so the signal goes there.
    private func abandon(_ pid: Int32) {
        _ = kill(-pid, SIGKILL)
        var status: Int32 = 0
        _ = retryingEINTR { waitpid(pid, &status, 0) }
    }
}

func retryingEINTR(_ call: () -> Int32) -> Int32 {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
