import Foundation
import TaskmonKit

/// A request the scheduler cannot carry out as asked.
struct SchedulerRequestError: Error, CustomStringConvertible, Equatable {
    var code: RPCErrorCode
    var description: String
}

extension Lifecycle {
    // MARK: Submit

    /// Queues a job whose spec has been parsed and checked; returns its id.
    mutating func submit(_ spec: JobSpec, at now: Moment) -> SubmitResult {
        let id = nextJobID
        nextJobID += 1
        var job = JobState(
            id: id, name: spec.name ?? "Job \(id)", description: spec.description, priority: spec.priority,
            taskTimeout: spec.taskTimeout, maxInterruptedRetries: spec.maxInterruptedRetries,
            cancelOnTaskFailure: spec.cancelOnTaskFailure, environment: spec.environment, submittedAt: now.wall,
            tasks: [])
        job.tasks.reserveCapacity(spec.tasks.count)
        for (index, task) in spec.tasks.enumerated() {
            job.tasks.append(TaskState(
                jobID: id, index: index, name: task.name, command: task.command, env: task.env, cwd: task.cwd,
                status: .submitted, submittedAt: now.wall))
        }
        job.counts[TaskStatus.submitted.rawValue] = job.tasks.count
        // A submitter's jobs share one copy of its environment in memory (a few KiB each).
        let base = TaskBaseEnvironment.forJob(spec, minimal: settings.baseEnvironment)
        let previous = jobs[id - 1]?.baseEnvironment
        job.baseEnvironment = previous == base ? previous : base
        attachHosting(spec, to: &job)
        job.resources = spec.resources
        for (index, task) in spec.tasks.enumerated() where task.resources != nil { job.tasks[index].resources = task.resources }
        insert(job)
        // One event for the job stands for all its tasks becoming SUBMITTED: a job of
        // 100,000 tasks must not cost 100,000 events.
        events.append(.jobSubmitted(job.info(includeTasks: false)))
        var queue = queues[job.priority.rawValue]
        queue.reserveCapacity(queue.count + job.tasks.count)
        for index in job.tasks.indices { queue.append(TaskKey(job: id, task: index)) }
        queues[job.priority.rawValue] = queue
        dispatch(at: now)
        return SubmitResult(jobID: id, taskCount: job.tasks.count)
    }

    // MARK: Cancel

    /// Cancels a job (all its unfinished tasks) or one task, on behalf of `user`.
    mutating func cancel(
        job id: JobID, task index: TaskIndex?, message: String?, user: String, at now: Moment
    ) throws(SchedulerRequestError) -> CancelResult {
        guard let taskCount = jobs[id]?.tasks.count else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        if let index, index < 0 || index >= taskCount {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(taskCount))")
        }
        var text = "Canceled by \(user)"
        if let message, !message.isEmpty { text += ": \(message)" }
        let count = cancelTasks(of: id, only: index, except: nil, message: text, reason: .direct, at: now)
        dispatch(at: now)
        return CancelResult(canceled: count)
    }

    /// Cancels unfinished tasks: queued ones at once, running ones through CANCELING.
    @discardableResult
    mutating func cancelTasks(
        of id: JobID, only: TaskIndex?, except: TaskKey?, message: String, reason: CancellationReason, at now: Moment
    ) -> Int {
        // Scalars only: a copy of the job held across the moves would copy its task array.
        guard let (taskCount, maxRetries) = jobs[id].map({ ($0.tasks.count, $0.maxInterruptedRetries) }) else { return 0 }
        let indices = only.map { [$0] } ?? Array(0..<taskCount)
        var count = 0
        for index in indices {
            let key = TaskKey(job: id, task: index)
            guard key != except, let task = task(key) else { continue }
            let handle = handleByTask[key]
            let spent = task.status == .interrupted && task.interruptedRetryAttempts >= maxRetries
            switch task.status {
            case .notSubmitted, .submitted:
                cancelAtOnce(key, message: message, reason: reason, at: now)
                count += 1
            case .interrupted where !spent, .assigned where handle == nil:
                // Between attempts, or waiting for its job's setup: nothing of its own runs.
                cancelAtOnce(key, message: message, reason: reason, at: now)
                count += 1
            case .running, .assigned:
                // A run already being killed for its timeout ends TIMED_OUT, as decided.
                guard let handle, runs[handle]?.endRequest == nil else { continue }
                move(key, to: .canceling) {
                    $0.cancellationMessage = message
                    $0.cancellationReason = reason
                }
                requestEnd(handle, .cancel(message: message, reason: reason), at: now, grace: settings.cancelGracePeriod)
                count += 1
            default:
                continue
            }
        }
        completeJobIfDone(id, at: now)
        // A canceled job whose setup still runs does not need it any more.
        if only == nil, jobs[id]?.setup == .running {
            for (handle, run) in runs where run.purpose == .setup(id) {
                updateRun(handle) {
                    $0.endRequest = .cancel(message: message, reason: reason)
                    $0.endRequestedAt = now
                }
                // Not started yet: a backend that queues launches withdraws it.
                effects.append(.signal(handle, SIGKILL))
            }
        }
        return count
    }

    private mutating func cancelAtOnce(_ key: TaskKey, message: String, reason: CancellationReason, at now: Moment) {
        move(key, to: .canceled) {
            $0.cancellationMessage = message
            $0.cancellationReason = reason
            $0.finishedAt = now.wall
        }
    }

    // MARK: Retry

    /// Queues a final task again, as a new attempt.
    mutating func retry(job id: JobID, task index: TaskIndex, at now: Moment) throws(SchedulerRequestError) {
        try requeue(job: id, task: index, at: now)
        dispatch(at: now)
    }

    /// Queues many final tasks again, then dispatches once: `keys`, and every failed, timed-out
    /// and environment-error task of the jobs `failedOf` (a job that is not there is a problem).
    mutating func retry(_ keys: [TaskKey], failedOf failedJobs: [JobID], at now: Moment) -> RetryTasksResult {
        var result = RetryTasksResult(retried: 0, unchanged: 0)
        var retriedJobs = Set<JobID>()
        func attempt(_ id: JobID, _ index: TaskIndex) {
            do throws(SchedulerRequestError) {
                try requeue(job: id, task: index, at: now)
                result.retried += 1
                retriedJobs.insert(id)
            } catch {
                result.unchanged += 1
                if result.firstProblem == nil { result.firstProblem = error.description }
            }
        }
        for key in keys { attempt(key.job, key.task) }
        for id in failedJobs {
            guard let job = jobs[id] else {
                result.unchanged += 1
                if result.firstProblem == nil { result.firstProblem = "no job \(id)" }
                continue
            }
            // Indices first: the job's task array changes under the requeues.
            let failed = job.tasks.indices.filter { Self.retryableFailures.contains(job.tasks[$0].status) }
            for index in failed { attempt(id, index) }
        }
        if result.retried > 0 { dispatch(at: now) }
        result.retriedJobs = retriedJobs.sorted()
        return result
    }

    /// The ends "retry the failed tasks" means: the task ran (or its environment did) and did
    /// not succeed. Canceled tasks were stopped on purpose and are left alone.
    static let retryableFailures: Set<TaskStatus> = [.failed, .environmentError, .timedOut]

    /// Moves a final task back to SUBMITTED and into the queue; the caller dispatches.
    private mutating func requeue(job id: JobID, task index: TaskIndex, at now: Moment) throws(SchedulerRequestError) {
        // Scalars only: a copy of the job held across the moves would copy its task array, which
        // made retrying 10,000 tasks of a big job take seconds.
        guard let (taskCount, priority, finishedOrFailed) = jobs[id].map({
            ($0.tasks.count, $0.priority, $0.finishedAt != nil || $0.setup == .failed)
        }) else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        guard index >= 0, index < taskCount else {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(taskCount))")
        }
        let key = TaskKey(job: id, task: index)
        guard let task = task(key), jobs[id]?.isFinal(task) == true else {
            throw SchedulerRequestError(
                code: .illegalState, description: "task \(id)/\(index) is \(self.task(key)?.status.name ?? "?"); only a finished task can be retried")
        }
        // The job runs again: its environment is set up anew and torn down after.
        if finishedOrFailed {
            modifyJob(id) { job in
                job.finishedAt = nil
                job.teardownStarted = false
                job.teardownEnd = nil
                job.teardownOutcomeLost = false
                if job.setup != .running {
                    job.setup = .pending
                    job.setupEnd = nil
                }
            }
        }
        move(key, to: .submitted) {
            $0.resetForNewAttempt()
            $0.interruptedRetryAttempts = 0
            $0.submittedAt = now.wall
        }
        enqueue(key, priority: priority)
    }

    // MARK: Start and stop

    /// After a crash: tasks the last scheduler left ASSIGNED or RUNNING were interrupted
    /// (and are queued again within their limit; their processes are killed if still there);
    /// CANCELING ones are canceled; waiting ones go back in the queue in their order.
    /// Returns how many tasks it recovered.
    /// `startedAttempts` are the attempts found running (by their processes' marker): one that
    /// a crash kept from being recorded still counts, so no attempt number is ever run twice.
    @discardableResult
    mutating func recover(at now: Moment, startedAttempts: [TaskKey: Int] = [:]) -> Int {
        var recovered = 0
        for id in jobOrder {
            guard let job = jobs[id] else { continue }
            if job.setup == .running { modifyJob(id) { $0.setup = .pending } }
            // Nothing runs a teardown the last scheduler started: how it ended is not known.
            if job.teardownStarted, job.teardownEnd == nil { modifyJob(id) { $0.teardownOutcomeLost = true } }
            for var task in job.tasks {
                if let attempt = startedAttempts[task.key], attempt > task.attempts {
                    let text = "attempt \(attempt) had started when the last scheduler stopped, before it was recorded; it was killed"
                    modify(task.key) { $0.attempts = attempt }
                    if task.status == .submitted {
                        // Its record is kept as any other ended attempt's (its output too, at the next launch).
                        let oldest = task.earlierAttempts.first?.attempt
                        modify(task.key) { state in
                            var record = AttemptRecord(attempt: attempt, status: .interrupted)
                            record.exception = TaskException(type: "Interrupted", message: text)
                            state.keep(record)
                        }
                        if let kept = self.task(task.key) { keptAttempt(of: kept, oldestBefore: oldest) }
                    }
                    warn(task.key, text)
                    task.attempts = attempt
                }
                switch task.status {
                case .assigned, .running:
                    // Adopted by the backend just before (a cluster job that ran on): it goes on.
                    if handleByTask[task.key] != nil { continue }
                    if let pid = task.pid { effects.append(.killOrphan(pid: pid, task.key)) }
                    move(task.key, to: .interrupted) {
                        $0.finishedAt = now.wall
                        $0.exception = TaskException(type: "Interrupted", message: "the scheduler stopped while the task was \(task.status.name)")
                    }
                    requeueIfRetriesLeft(task.key)
                    recovered += 1
                case .canceling:
                    if let pid = task.pid { effects.append(.killOrphan(pid: pid, task.key)) }
                    move(task.key, to: .canceled) { $0.finishedAt = now.wall }
                    recovered += 1
                case .submitted:
                    enqueue(task.key, priority: job.priority)
                default:
                    break
                }
            }
            completeJobIfDone(id, at: now)
        }
        dispatch(at: now)
        return recovered
    }

    /// Stops dispatching and asks every run to stop (SIGTERM, SIGKILL after the grace); what
    /// was running becomes INTERRUPTED and SUBMITTED again, for the next start.
    mutating func beginShutdown(at now: Moment) {
        shuttingDown = true
        for handle in runs.keys.sorted(by: { $0.raw < $1.raw }) {
            requestEnd(handle, .shutdown, at: now, grace: settings.cancelGracePeriod)
        }
    }

    /// Sends SIGKILL to every run still there (the end of shutdown's grace).
    mutating func killEverything() {
        for handle in runs.keys.sorted(by: { $0.raw < $1.raw }) { effects.append(.signal(handle, SIGKILL)) }
    }
}
