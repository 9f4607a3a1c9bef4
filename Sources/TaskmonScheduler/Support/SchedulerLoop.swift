import CTaskmonPOSIX
import Dispatch
import Glibc
import Synchronization

/// The scheduler's own thread: the executor the `Scheduler` actor runs on, and the epoll loop
/// of the parts that report to it (the local backend's reaper, which serves its output pump).
///
/// A task's end used to cost three threads' wake-ups: the reaper's, the output pump's, and a
/// pool thread's to run the actor's turn (plus the Task made to get there). Here the exit, the
/// end of its output, the actor's turn that records it and the launch of the next task happen
/// in one wake-up of one thread. Work from elsewhere (a request from a connection, a commit's
/// end, a timer) is queued and wakes the loop through an eventfd.
///
/// What a descriptor served here reports happened no earlier than ``servedSince``: a process
/// that ended while the loop was busy with a long turn (a large submit, say) is reaped only
/// after it, and the reap's own moment would make a task that ended before its deadline look
/// timed out.
///
/// Jobs run one at a time, in the order they were queued, so the loop is a serial executor.
/// Once stopped (``stop()``) and idle, the thread ends; anything queued afterwards still runs,
/// one at a time, on a serial dispatch queue, so nothing that awaits the actor is left hanging.
package final class SchedulerLoop: SerialExecutor, Sendable {
    private enum Work {
        case job(UnownedJob)
        case turn(@Sendable () -> Void)
    }

    private struct Client {
        var descriptor: Int32
        var serve: @Sendable () -> Bool
    }

    private struct State {
        var queued: [Work] = []
        var clients: [UInt64: Client] = [:]
        var nextToken: UInt64 = 1
        var stopping = false
        var ended = false
    }

    private static let wakeToken: UInt64 = 0
    private let epoll: Int32
    private let wake: Int32
    private let state = Mutex(State())
    /// The loop thread's id, once it runs.
    private let thread = Atomic<Int32>(0)
    /// Where work goes once the thread has ended.
    private let afterwards = DispatchQueue(label: "taskmon.scheduler-loop.after")
    private let clock: any SchedulerClock
    private let since = Mutex<Moment?>(nil)

    /// Starts the thread, named `name` (``startNamedThread``). Without epoll or an eventfd
    /// (out of descriptors), the loop runs its work on a serial dispatch queue instead.
    /// `clock` gives ``servedSince`` its moments.
    package init(name: String = "taskmon-sched", clock: any SchedulerClock = SystemClock()) {
        self.clock = clock
        epoll = ctaskmon_epoll_create()
        wake = epoll >= 0 ? ctaskmon_eventfd() : -1
        let usable = epoll >= 0 && wake >= 0 && ctaskmon_epoll_add(epoll, wake, Self.wakeToken) == 0
        if usable {
            startNamedThread(name) { [self] in run() }
        } else {
            state.withLock { $0.ended = true }
        }
    }

    deinit {
        if wake >= 0 { close(wake) }
        if epoll >= 0 { close(epoll) }
    }

    /// While a descriptor is served (on the loop): the earliest moment what made it readable
    /// can have happened. When the loop was waiting, that is the moment it woke; when it was
    /// busy, the moment it last looked before, since the event was not there then. nil
    /// elsewhere.
    package var servedSince: Moment? { isCurrent ? since.withLock { $0 } : nil }

    /// Whether the caller runs on the loop's thread.
    package var isCurrent: Bool { thread.load(ordering: .relaxed) == ctaskmon_gettid() }

    package func enqueue(_ job: consuming ExecutorJob) {
        post(.job(UnownedJob(job)))
    }

    package func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    package func checkIsolated() {
        precondition(isCurrent || state.withLock { $0.ended }, "not on the scheduler's loop")
    }

    /// Runs `body` on the loop once what it is doing now is done: from the loop's own thread
    /// (a report found by a client), that is before it sleeps again, with no wake-up at all.
    package func schedule(_ body: @escaping @Sendable () -> Void) {
        post(.turn(body))
    }

    /// Serves `descriptor` from the loop: `serve` is called, on the loop, whenever it is
    /// readable (level-triggered), and the descriptor leaves the loop once `serve` returns
    /// false (close it only then). False when it cannot be watched (the loop has ended).
    package func add(_ descriptor: Int32, serve: @escaping @Sendable () -> Bool) -> Bool {
        state.withLock { state -> Bool in
            guard !state.ended else { return false }
            let token = state.nextToken
            guard ctaskmon_epoll_add(epoll, descriptor, token) == 0 else { return false }
            state.nextToken += 1
            state.clients[token] = Client(descriptor: descriptor, serve: serve)
            return true
        }
    }

    /// Lets the thread end once nothing is queued and no descriptor is served any more.
    package func stop() {
        state.withLock { $0.stopping = true }
        signal()
    }

    private func post(_ work: Work) {
        enum Next { case nothing, wake, runAfterwards }
        let next = state.withLock { state -> Next in
            if state.ended { return .runAfterwards }
            state.queued.append(work)
            return state.queued.count == 1 ? .wake : .nothing
        }
        switch next {
        case .nothing: break
        // From the loop itself no wake is needed: it looks at the queue before it sleeps.
        case .wake: if !isCurrent { signal() }
        case .runAfterwards: afterwards.async { [self] in perform(work) }
        }
    }

    private func signal() {
        var one: UInt64 = 1
        _ = write(wake, &one, MemoryLayout<UInt64>.size)
    }

    private func perform(_ work: Work) {
        switch work {
        case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
        case .turn(let body): body()
        }
    }

    private func run() {
        thread.store(ctaskmon_gettid(), ordering: .relaxed)
        let capacity: Int32 = 64
        var tokens = [UInt64](repeating: 0, count: Int(capacity))
        var lastLook = clock.now()
        while true {
            let idle = state.withLock { $0.queued.isEmpty }
            // Look first without waiting: what is there now happened since the last look.
            var look = clock.now()
            var happenedSince = lastLook
            var count = tokens.withUnsafeMutableBufferPointer {
                ctaskmon_epoll_wait_timeout(epoll, $0.baseAddress, capacity, 0)
            }
            if count == 0, idle {
                count = tokens.withUnsafeMutableBufferPointer {
                    ctaskmon_epoll_wait_timeout(epoll, $0.baseAddress, capacity, -1)
                }
                // It woke us: it happened just now, and what comes next comes after.
                look = clock.now()
                happenedSince = look
            }
            lastLook = look
            since.withLock { $0 = happenedSince }
            for token in tokens[0..<Int(max(0, count))] {
                if token == Self.wakeToken {
                    var value: UInt64 = 0
                    _ = read(wake, &value, MemoryLayout<UInt64>.size)
                } else if let client = state.withLock({ $0.clients[token] }), !client.serve() {
                    state.withLock { _ = $0.clients.removeValue(forKey: token) }
                    _ = ctaskmon_epoll_remove(epoll, client.descriptor)
                }
            }
            since.withLock { $0 = nil }
            // What was queued until now; what these queue in turn waits for the next round,
            // after the descriptors have been looked at again.
            let work = state.withLock { state -> [Work] in
                defer { state.queued.removeAll(keepingCapacity: true) }
                return state.queued
            }
            for item in work { perform(item) }
            let ends = state.withLock { state -> Bool in
                guard state.stopping, state.queued.isEmpty, state.clients.isEmpty else { return false }
                state.ended = true
                return true
            }
            if ends { return }
        }
    }
}
