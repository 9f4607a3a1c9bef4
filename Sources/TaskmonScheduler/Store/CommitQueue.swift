import Dispatch
import Foundation
import Logging
import Synchronization
import TaskmonKit

/// Commits the scheduler's batches in order on a thread of its own, then publishes their events.
///
/// The scheduler hands over each pass's changes and goes on scheduling; the queue writes them
/// (merging whatever piled up meanwhile into one transaction: a group commit), numbers and
/// encodes their events, and only after the commit hands the events to subscribers. So the
/// scheduler never waits for the disk, and nothing is published before it is durable.
///
/// Changes that come within ``groupCommitWindow`` of the last commit's end (while it was
/// under way, too) wait for the rest of that window, and whatever else arrives in it joins
/// them: two commits are always a window apart, so a stream of short tasks costs a commit
/// every 5 ms instead of one a task. A change after a quiet spell is committed at once.
/// 5 ms, not 2: a commit rewrites the same hot pages into the WAL, and for 2,000 `/bin/true`
/// the wider window took the commit thread from 0.08 to 0.06 ms a task (the scheduler's CPU
/// 0.280–0.285 → 0.245–0.250 ms), for about 2 ms more from a task's exit to its event (a
/// median of 4 ms, not 2), far below what a person watching can tell.
///
/// The thread sleeps out the window itself: with a dispatch queue's `asyncAfter` each commit
/// armed a timer on libdispatch's manager thread, which woke to fire it and woke a worker to
/// run it, three threads for one commit (`perf`: about a tenth of the scheduler's CPU for a
/// stream of short tasks went to dispatch's waking and sleeping).
final class CommitQueue: Sendable {
    private struct Pending {
        var batch = StoreBatch()
        var bodies: [(Date, EventBody)] = []
        var draining = false
        /// Batches handed over so far, and how many of them are committed.
        var enqueued = 0
        var committed = 0
        var waiters: [Waiter] = []
        var nextWaiter = 0
        /// When the last commit ended (``now``'s nanoseconds; 0: none yet), for the group-commit window.
        var lastCommitEnded: UInt64 = 0
        var commits = 0
    }

    private struct Waiter {
        var id: Int
        var upTo: Int
        var continuation: CheckedContinuation<Bool, Never>
    }

    /// Why the last commit failed, and since when; nil while commits succeed.
    private struct Failure {
        var message: String
        var since: Date
        var lastLogged: Date
    }

    private let store: Store
    private let hub: EventHub
    private let logger: Logger
    /// Signalled when changes arrive while no drain is under way: the thread then commits
    /// until nothing is pending.
    private let work = DispatchSemaphore(value: 0)
    private let pending = Mutex(Pending())
    /// The last event number handed out; only the drain (one at a time) touches it.
    private let seq: Mutex<UInt64>
    private let failure = Mutex<Failure?>(nil)
    /// Between two attempts at a batch that could not be committed.
    private let retryInterval: TimeInterval
    /// How long after a commit the next one waits for more changes to join it.
    let groupCommitWindow: Duration
    static let defaultGroupCommitWindow: Duration = .milliseconds(5)
    /// The clock the window is measured on, in nanoseconds (tests hold it still, so that how
    /// long their own steps take on a loaded machine does not decide what joins a commit).
    private let now: @Sendable () -> UInt64

    init(
        store: Store, hub: EventHub, lastSeq: UInt64, logger: Logger, retryInterval: TimeInterval = 1,
        groupCommitWindow: Duration = CommitQueue.defaultGroupCommitWindow,
        now: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }
    ) {
        self.now = now
        self.store = store
        self.retryInterval = retryInterval
        self.groupCommitWindow = groupCommitWindow
        self.hub = hub
        self.logger = logger
        seq = Mutex(lastSeq)
        let work = self.work
        startNamedThread("taskmon-commit") { [weak self] in
            while true {
                // Timed, so that the thread ends (a few seconds) after its queue is released.
                let signalled = work.wait(timeout: .now() + .seconds(5)) == .success
                guard let self else { return }
                if signalled { self.drainUntilIdle() }
            }
        }
    }

    /// Queues a pass's changes and its events (in the order they happened).
    func enqueue(_ batch: StoreBatch, events: [EventBody], at time: Date) {
        let startDrain = pending.withLock { pending -> Bool in
            pending.batch.merge(batch)
            pending.bodies.append(contentsOf: events.map { (time, $0) })
            pending.enqueued += 1
            guard !pending.draining else { return false }
            pending.draining = true
            return true
        }
        if startDrain { work.signal() }
    }

    /// On the queue's thread: commits until nothing is pending, each commit once the window
    /// after the last one's end (``now``'s nanoseconds; 0: none yet) is over.
    private func drainUntilIdle() {
        var more = true
        while more {
            let lastCommitEnded = pending.withLock { $0.lastCommitEnded }
            let windowEnd = lastCommitEnded &+ UInt64(max(0, Moment.nanoseconds(groupCommitWindow)))
            let current = now()
            if lastCommitEnded > 0, windowEnd > current {
                // Nothing needs to wake this sleep: what arrives meanwhile joins the commit.
                let wait = windowEnd - current
                var request = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
                var remaining = timespec()
                while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
            }
            more = drain()
        }
    }

    /// Returns once everything queued before the call is committed and published.
    func flushed() async {
        _ = await flushed(within: nil)
    }

    /// Waits until everything queued before the call is committed and published, or until
    /// `limit` has passed (nil: no limit); true when it is committed.
    func flushed(within limit: Duration?) async -> Bool {
        let id = pending.withLock { pending -> Int in
            defer { pending.nextWaiter += 1 }
            return pending.nextWaiter
        }
        let timer: Task<Void, Never>? = limit.map { limit in
            Task {
                try? await Task.sleep(for: limit)
                guard !Task.isCancelled else { return }
                self.expire(waiter: id)
            }
        }
        defer { timer?.cancel() }
        return await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let done = pending.withLock { pending in
                guard pending.committed < pending.enqueued else { return true }
                pending.waiters.append(Waiter(id: id, upTo: pending.enqueued, continuation: continuation))
                return false
            }
            if done { continuation.resume(returning: true) }
        }
    }

    /// Wakes a waiter whose time ran out (if it is still waiting) with `false`.
    private func expire(waiter id: Int) {
        let expired = pending.withLock { pending -> CheckedContinuation<Bool, Never>? in
            guard let index = pending.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return pending.waiters.remove(at: index).continuation
        }
        expired?.resume(returning: false)
    }

    /// Transactions committed so far (tests).
    var commits: Int { pending.withLock { $0.commits } }

    /// Whether no drain is running or waiting (tests).
    var isIdle: Bool { pending.withLock { !$0.draining } }

    /// Why the database cannot be written now ("no space left on device"), or nil when the
    /// last commit succeeded. Changes wait in memory meanwhile and are written once it can.
    var storageError: String? {
        failure.withLock { $0.map { "\($0.message) (since \(Wire.formatDate($0.since)); retrying)" } }
    }

    /// Commits what is pending in one transaction and publishes its events; says whether more
    /// came meanwhile (else the queue is idle again).
    private func drain() -> Bool {
        let (batch, bodies, upTo) = pending.withLock { pending -> (StoreBatch, [(Date, EventBody)], Int) in
            defer {
                pending.batch = StoreBatch()
                pending.bodies = []
            }
            if pending.batch.isEmpty && pending.bodies.isEmpty { pending.draining = false }
            return (pending.batch, pending.bodies, pending.enqueued)
        }
        if batch.isEmpty && bodies.isEmpty {
            finished(upTo: upTo)
            return false
        }
        var toCommit = batch
        var next = seq.withLock { $0 }
        let encoder = Wire.encoder()
        for (time, body) in bodies {
            next += 1
            guard let json = EventJSON.encode(seq: next, time: time, body: body)
                ?? (try? encoder.encode(SchedulerEvent(seq: next, time: time, body: body))) else {
                next -= 1
                continue
            }
            toCommit.events.append(EncodedEvent(seq: next, time: time, json: json, jobID: body.jobID, type: body.typeName))
        }
        var committed = false
        while !committed {
            do {
                try store.commit(toCommit)
                committed = true
                recovered()
            } catch {
                // Nothing is published that was not committed: wait and write the same batch again.
                failed(error)
                Thread.sleep(forTimeInterval: retryInterval)
            }
        }
        seq.withLock { $0 = next }
        let ended = now()
        pending.withLock { pending in
            pending.lastCommitEnded = ended
            pending.commits += 1
        }
        hub.publish(toCommit.events)
        // What came during this commit waits for the rest of the window too, as a change right
        // after a commit does: committing it at once made a steady stream of short tasks cost a
        // transaction each, the window never coming into play.
        let more = pending.withLock { pending -> Bool in
            if pending.batch.isEmpty && pending.bodies.isEmpty {
                pending.draining = false
                return false
            }
            return true
        }
        finished(upTo: upTo)
        return more
    }

    /// Records that the first `upTo` batches are committed and wakes whoever waited for them.
    private func finished(upTo: Int) {
        let ready = pending.withLock { pending -> [CheckedContinuation<Bool, Never>] in
            pending.committed = max(pending.committed, upTo)
            let ready = pending.waiters.filter { $0.upTo <= pending.committed }.map(\.continuation)
            pending.waiters.removeAll { $0.upTo <= pending.committed }
            return ready
        }
        ready.forEach { $0.resume(returning: true) }
    }

    /// Remembers a failed commit for `status`; logs the first and then once a minute.
    private func failed(_ error: Error) {
        let message = Store.describe(error)
        let now = Date()
        let log = failure.withLock { failure -> Bool in
            guard var current = failure, current.message == message else {
                failure = Failure(message: message, since: failure?.since ?? now, lastLogged: now)
                return true
            }
            guard now.timeIntervalSince(current.lastLogged) >= 60 else { return false }
            current.lastLogged = now
            failure = current
            return true
        }
        if log { logger.critical("cannot commit to the database: \(message); retrying every \(retryInterval) s") }
    }

    private func recovered() {
        let was = failure.withLock { failure -> Failure? in
            defer { failure = nil }
            return failure
        }
        if let was { logger.notice("the database can be written again (it could not since \(Wire.formatDate(was.since)): \(was.message))") }
    }
}

extension StoreBatch {
    /// Adds a later batch: rows are written whole, so its task and job states replace earlier ones.
    mutating func merge(_ later: StoreBatch) {
        newJobs.append(contentsOf: later.newJobs)
        let inserted = Set(newJobs.map(\.id))
        for (id, job) in later.jobs {
            if inserted.contains(id), let index = newJobs.firstIndex(where: { $0.id == id }) {
                // Not yet written: insert it as it is now (its tasks go as updates below).
                var merged = job
                merged.tasks = newJobs[index].tasks
                newJobs[index] = merged
            } else {
                jobs[id] = job
            }
        }
        tasks.merge(later.tasks) { $1 }
        propertiesChanged.formUnion(later.propertiesChanged)
        attemptsChanged.formUnion(later.attemptsChanged)
        events.append(contentsOf: later.events)
    }
}
