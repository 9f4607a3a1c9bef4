import Foundation

extension SchedulerClient {
    /// Waits until every task of the job is final, following the event stream (no polling
    /// while it runs); returns the finished job, or nil when `timeout` seconds passed first.
    ///
    /// Every step keeps to the one deadline, the connecting and the handshakes included: a
    /// scheduler that never answers makes this return nil after `timeout`, not hang.
    public func waitUntilDone(_ id: JobID, timeout: Double? = nil) throws(SchedulerClientError) -> JobInfo? {
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int64(min(max(0, $0), 1e12) * 1000)) }
        do throws(SchedulerClientError) {
            return try follow(id, deadline: deadline)
        } catch .timedOut where deadline != nil {
            return nil
        }
    }

    private func follow(_ id: JobID, deadline: ContinuousClock.Instant?) throws(SchedulerClientError) -> JobInfo? {
        // Subscribe first, then look: a completion between the two cannot be missed.
        let completions = SubscribeParams(afterSeq: nil, jobID: id, types: [EventBody.jobCompletedType])
        var events = try subscribe(completions, deadline: deadline)
        defer { events.cancel() }
        var job = try call(.getJob, JobQuery(jobID: id, includeTasks: false), as: JobInfo.self, deadline: deadline)
        while !job.isDone {
            let remaining = deadline.map { ContinuousClock.now.duration(to: $0) }
            if let remaining, remaining <= .zero { return nil }
            let message: SubscriptionMessage?
            let subscription = events
            let step = min(remaining ?? .seconds(1), .seconds(1))
            // Result rather than `catch .timedOut`, which crashes the Swift 6.3 compiler here.
            switch Result(catching: { () throws(SchedulerClientError) in try subscription.next(timeout: step) }) {
            case .success(let next): message = next
            case .failure(.timedOut): continue
            case .failure(let error): throw error
            }
            if case .event(let event)? = message {
                if case .jobCompleted(let info) = event.body, info.id == id { job = info }
            } else {
                // A resync notice, or the stream ended: look again, and follow anew.
                job = try call(.getJob, JobQuery(jobID: id, includeTasks: false), as: JobInfo.self, deadline: deadline)
                if !job.isDone { events = try subscribe(completions, deadline: deadline) }
            }
        }
        return job
    }
}
