import Foundation

extension SchedulerClient {
    /// Waits until every task of the job is final, following the event stream (no polling
    /// while it runs); returns the finished job, or nil when `timeout` seconds passed first.
    public func waitUntilDone(_ id: JobID, timeout: Double? = nil) throws(SchedulerClientError) -> JobInfo? {
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        // Subscribe first, then look: a completion between the two cannot be missed.
        let completions = SubscribeParams(afterSeq: nil, jobID: id, types: [EventBody.jobCompletedType])
        var events = try subscribe(completions)
        defer { events.cancel() }
        var job = try self.job(id)
        while !job.isDone {
            let remaining = deadline.map { $0.timeIntervalSinceNow }
            if let remaining, remaining <= 0 { return nil }
            let message: SubscriptionMessage?
            let subscription = events
            // Result rather than `catch .timedOut`, which crashes the Swift 6.3 compiler here.
            switch Result(catching: { () throws(SchedulerClientError) in try subscription.next(timeout: .seconds(min(remaining ?? 1, 1))) }) {
            case .success(let next): message = next
            case .failure(.timedOut): continue
            case .failure(let error): throw error
            }
            if case .event(let event)? = message {
                if case .jobCompleted(let info) = event.body, info.id == id { job = info }
            } else {
                // A resync notice, or the stream ended: look again, and follow anew.
                job = try self.job(id)
                if !job.isDone { events = try subscribe(completions) }
            }
        }
        return job
    }
}
