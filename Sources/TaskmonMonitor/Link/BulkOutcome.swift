import TaskmonKit

/// What came of one request per item of a bulk action: how many did something, how many had
/// nothing to do (already final, say), how many failed and the first error.
///
/// The scheduler takes one task per `retry`/`cancel` request; a bulk action is those requests
/// one after another on the request thread's connection (10,000 in well under a second on a
/// local socket). A scheduler-side bulk request would make it one round trip.
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

    /// `9,998 tasks queued again (2 unchanged: task 3/7 is RUNNING)`.
    package func text(done verb: String, of noun: String) -> String {
        var text = "\(done) \(noun) \(verb)"
        if unchanged > 0 { text += " (\(unchanged) unchanged" + (firstError.map { ": \($0)" } ?? "") + ")" }
        if failed > 0 { text += "; \(failed) failed: \(firstError ?? "")" }
        return text
    }
}

extension BulkOutcome {
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
