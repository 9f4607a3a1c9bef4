import Foundation
import Synchronization
import TaskmonKit

/// What came of one request per item of a bulk action: how many did something, how many had
/// nothing to do (already final, say), how many failed and the first error.
///
/// Retries go to the scheduler as one `retry_tasks` request (``retry(_:failedOf:client:connect:)``).
/// Cancels take one task per `cancel` request; a bulk cancel sends those requests over several
/// connections at once (``runParallel``), so the scheduler's commits take many of them in one
/// transaction.
package struct BulkOutcome {
    package var done = 0
    package var unchanged = 0
    package var failed = 0
    package var firstError: String?

    package static func run<Item>(_ items: [Item], _ body: (Item) throws(SchedulerClientError) -> Bool) -> BulkOutcome {
        var outcome = BulkOutcome()
        for item in items {
            do throws(SchedulerClientError) {
                if try body(item) { outcome.done += 1 } else { outcome.unchanged += 1 }
            } catch {
                // A task that is not final (retry) or already gone is not a reason to stop.
                if case .rpc = error { outcome.unchanged += 1 } else { outcome.failed += 1 }
                if outcome.firstError == nil { outcome.firstError = error.description }
                if case .connectionLost = error { break }
            }
        }
        return outcome
    }

    /// Like ``run(_:_:)``, over `connections` connections made by `connect`, each on a thread
    /// of its own (blocking calls stay off Swift's cooperative pool). Falls back to `fallback`
    /// alone when no extra connection can be made.
    package static func runParallel<Item: Sendable>(
        _ items: [Item], connections: Int = 8, fallback: SchedulerClient,
        connect: @escaping @Sendable () throws(SchedulerClientError) -> SchedulerClient,
        _ body: @escaping @Sendable (SchedulerClient, Item) throws(SchedulerClientError) -> Bool
    ) -> BulkOutcome {
        let lanes = max(1, min(connections, items.count / 64 + 1))
        guard lanes > 1 else { return run(items) { item throws(SchedulerClientError) in try body(fallback, item) } }
        let results = Mutex([BulkOutcome](repeating: BulkOutcome(), count: lanes))
        let group = DispatchGroup()
        for lane in 0..<lanes {
            let slice = Array(stride(from: lane, to: items.count, by: lanes).map { items[$0] })
            group.enter()
            let thread = Thread {
                defer { group.leave() }
                let client: SchedulerClient
                do throws(SchedulerClientError) {
                    client = try connect()
                } catch {
                    var outcome = BulkOutcome()
                    outcome.failed = slice.count
                    outcome.firstError = error.description
                    results.withLock { $0[lane] = outcome }
                    return
                }
                let outcome = run(slice) { item throws(SchedulerClientError) in try body(client, item) }
                results.withLock { $0[lane] = outcome }
            }
            thread.name = "taskmon.bulk.\(lane)"
            thread.start()
        }
        group.wait()
        return results.withLock { lanes in
            lanes.reduce(into: BulkOutcome()) { total, lane in
                total.done += lane.done
                total.unchanged += lane.unchanged
                total.failed += lane.failed
                if total.firstError == nil { total.firstError = lane.firstError }
            }
        }
    }

    /// `9,998 tasks queued again (2 unchanged: task 3/7 is RUNNING)`.
    package func text(done verb: String, of noun: String) -> String {
        var text = "\(done) \(noun) \(verb)"
        if unchanged > 0 { text += " (\(unchanged) unchanged" + (firstError.map { ": \($0)" } ?? "") + ")" }
        if failed > 0 { text += "; \(failed) failed: \(firstError ?? "")" }
        return text
    }
}

extension BulkOutcome {
    /// Queues `refs` and the failed tasks of the jobs `failedOf` again: one `retry_tasks` round
    /// trip, or, from a scheduler that does not know it yet, one `retry` per task.
    package static func retry(
        _ refs: [TaskRef], failedOf jobs: [JobID], client: SchedulerClient,
        connect: @escaping @Sendable () throws(SchedulerClientError) -> SchedulerClient
    ) throws(SchedulerClientError) -> BulkOutcome {
        do throws(SchedulerClientError) {
            let result = try client.retryTasks(refs, failedOfJobs: jobs)
            return BulkOutcome(done: result.retried, unchanged: result.unchanged, failed: 0, firstError: result.firstProblem)
        } catch {
            guard case .rpc(let rpc) = error, rpc.code == RPCErrorCode.methodNotFound.rawValue else { throw error }
        }
        var all = refs
        for id in jobs { all += try failedTasks(of: id, client: client) }
        return runParallel(all, fallback: client, connect: connect) { client, ref throws(SchedulerClientError) in
            try client.retry(ref.jobID, ref.taskID)
            return true
        }
    }

    /// The failed, timed-out and environment-error tasks of `job`, read a page of rows at a time.
    package static func failedTasks(of job: JobID, client: SchedulerClient) throws(SchedulerClientError) -> [TaskRef] {
        let failed = Set(TaskStatus.retryableFailures)
        var refs: [TaskRef] = []
        var offset = 0
        while true {
            let page = try client.taskRows(of: job, offset: offset, limit: 20_000)
            let rows = page.taskRows ?? []
            refs += rows.filter { failed.contains($0.status) }.map { TaskRef(jobID: job, taskID: $0.id) }
            offset += rows.count
            if rows.isEmpty || offset >= page.taskCount { return refs }
        }
    }
}
