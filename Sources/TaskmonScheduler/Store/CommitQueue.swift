import Dispatch
import Foundation
import Logging
import Synchronization
import TaskmonKit

/// Commits the scheduler's batches in order on a thread of their own, then publishes their events.
///
/// The scheduler hands over each pass's changes and goes on scheduling; the queue writes them
/// (merging whatever piled up meanwhile into one transaction: a group commit), numbers and
/// encodes their events, and only after the commit hands the events to subscribers. So the
/// scheduler never waits for the disk, and nothing is published before it is durable.
final class CommitQueue: Sendable {
    private struct Pending {
        var batch = StoreBatch()
        var bodies: [(Date, EventBody)] = []
        var draining = false
        /// Batches handed over so far, and how many of them are committed.
        var enqueued = 0
        var committed = 0
        var waiters: [(upTo: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let store: Store
    private let hub: EventHub
    private let logger: Logger
    private let queue = DispatchQueue(label: "taskmon.commit")
    private let pending = Mutex(Pending())
    /// The last event number handed out; only the drain (one at a time) touches it.
    private let seq: Mutex<UInt64>

    init(store: Store, hub: EventHub, lastSeq: UInt64, logger: Logger) {
        self.store = store
        self.hub = hub
        self.logger = logger
        seq = Mutex(lastSeq)
    }

    /// Queues a pass's changes and its events (in the order they happened).
    func enqueue(_ batch: StoreBatch, events: [EventBody], at time: Date) {
        let startDrain = pending.withLock { pending in
            pending.batch.merge(batch)
            pending.bodies.append(contentsOf: events.map { (time, $0) })
            pending.enqueued += 1
            guard !pending.draining else { return false }
            pending.draining = true
            return true
        }
        if startDrain { queue.async { self.drain() } }
    }

    /// Returns once everything queued before the call is committed and published.
    func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = pending.withLock { pending in
                guard pending.committed < pending.enqueued else { return true }
                pending.waiters.append((pending.enqueued, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    private func drain() {
        let encoder = Wire.encoder()
        while true {
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
                return
            }
            var toCommit = batch
            var next = seq.withLock { $0 }
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
                } catch {
                    // Nothing is published that was not committed: wait and write the same batch again.
                    logger.critical("cannot commit to the database: \(error); retrying in 1 s")
                    Thread.sleep(forTimeInterval: 1)
                }
            }
            seq.withLock { $0 = next }
            hub.publish(toCommit.events)
            finished(upTo: upTo)
        }
    }

    /// Records that the first `upTo` batches are committed and wakes whoever waited for them.
    private func finished(upTo: Int) {
        let ready = pending.withLock { pending -> [CheckedContinuation<Void, Never>] in
            pending.committed = max(pending.committed, upTo)
            let ready = pending.waiters.filter { $0.upTo <= pending.committed }.map(\.continuation)
            pending.waiters.removeAll { $0.upTo <= pending.committed }
            return ready
        }
        ready.forEach { $0.resume() }
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
        events.append(contentsOf: later.events)
    }
}
