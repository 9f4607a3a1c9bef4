import Foundation
import Logging
import Testing
import TaskmonKit
import TaskmonTestSupport
@testable import TaskmonScheduler

/// The commit queue's group commit: what comes soon after a commit joins the next one.
@Suite("Group commit")
struct GroupCommitTests {
    private static func warning(_ index: Int) -> EventBody {
        .taskWarning(TaskWarning(jobID: 1, taskID: index, message: "w\(index)"))
    }

    /// A store and hub on a fresh folder, removed afterwards, and a commit queue over them.
    private static func withQueue(
        window: Duration, now: (@Sendable () -> UInt64)? = nil,
        _ body: (CommitQueue, Store, EventHub) async throws -> Void
    ) async throws {
        let folder = TestScheduler.makeDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try Store(path: folder + "/taskmon.db")
        let hub = EventHub(lastSeq: 0, store: store)
        let logger = Logger(label: "test")
        let queue = now.map {
            CommitQueue(store: store, hub: hub, lastSeq: 0, logger: logger, groupCommitWindow: window, now: $0)
        } ?? CommitQueue(store: store, hub: hub, lastSeq: 0, logger: logger, groupCommitWindow: window)
        try await body(queue, store, hub)
    }

    @Test("passes queued within the window after a commit go into one transaction; all are committed before they are published")
    func batchedWithinTheWindow() async throws {
        // The window's clock stands still: however long this test's steps take on a loaded
        // machine, every pass after the first commit comes within the window (1 s of real time,
        // counted from when the first of them was queued).
        try await Self.withQueue(window: .seconds(1), now: { 1_000_000_000 }) { queue, store, hub in
            queue.enqueue(StoreBatch(), events: [Self.warning(0)], at: Date())
            await queue.flushed()
            #expect(queue.commits == 1, "a change after a quiet spell is committed at once")
            // The drain that committed it has let go (else it would take the next passes at once).
            #expect(await within(60) { queue.isIdle })
            for index in 1...5 {
                queue.enqueue(StoreBatch(), events: [Self.warning(index)], at: Date())
            }
            await queue.flushed()
            #expect(queue.commits == 2, "five passes right after a commit: \(queue.commits - 1) commits")
            let stored = try store.oldestStoredEvent()
            #expect(stored == 1)
            #expect(hub.lastSeq == 6, "every event published, once committed")
        }
    }

    @Test("passes that come while a commit is under way wait for the window too: two commits are always a window apart")
    func commitsAreAWindowApart() async throws {
        let window = Duration.milliseconds(100)
        let perPass = 20
        try await Self.withQueue(window: window) { queue, _, hub in
            // A steady stream of passes, one a millisecond, so that some arrive while a commit is
            // being written (the drain committed those at once, one small transaction after
            // another: 23 to 29 commits here where 7 were due).
            let started = ContinuousClock.now
            let sent = try await offPool { () -> Int in
                var sent = 0
                while ContinuousClock.now - started < .milliseconds(600) {
                    let events = (0..<perPass).map { Self.warning(sent * perPass + $0) }
                    queue.enqueue(StoreBatch(), events: events, at: Date())
                    sent += 1
                    usleep(1000)
                }
                return sent
            }
            await queue.flushed()
            let elapsed = ContinuousClock.now - started
            // Each commit after the first starts at least a window after the one before it ended.
            let bound = Int(elapsed / window) + 1
            #expect(queue.commits <= bound, "\(queue.commits) commits of \(sent) passes in \(elapsed): at most \(bound) with a window of \(window)")
            #expect(hub.lastSeq == UInt64(sent * perPass), "every event committed and published")
        }
    }
}
