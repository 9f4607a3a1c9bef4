import Foundation
import TaskmonKit

extension Lifecycle {
    // MARK: Reports from the backend

    /// What the backend answered to a launch (at once, or later as a report).
    mutating func launched(_ handle: RunHandle, _ outcome: LaunchOutcome, at now: Moment) {
        switch outcome {
        case .pending:
            break
        case .started(let detail):
            started(handle, detail, at: now)
        case .failed(let error):
            launchFailed(handle, error, at: now)
        }
    }

    /// Applies one report, by the moment it carries.
    mutating func apply(_ report: BackendReport, stderrTail: String = "") {
        switch report {
        case .started(let handle, let detail, let at):
            started(handle, detail, at: at)
        case .launchFailed(let handle, let error, let at):
            launchFailed(handle, error, at: at)
        case .exited(let handle, let termination, let at, _, let usage):
            exited(handle, termination, at: at, usage: usage, stderrTail: stderrTail)
        case .lost(let handle, let reason, let at):
            lost(handle, reason: reason, at: at)
        case .outputComplete:
            break
        case .environmentFailed(let handle, let exception, let at): environmentFailed(handle, exception, at: at)
        case .queued, .canceledOutside, .environmentUnavailable:
            applyClusterReport(report)
        }
    }

    private mutating func started(_ handle: RunHandle, _ detail: RunDetail, at now: Moment) {
        guard let run = runs[handle], run.startedAt == nil else { return }
        let deadline: Moment?
        if case .task(let key) = run.purpose, let timeout = jobs[key.job]?.taskTimeout {
            deadline = now + Self.duration(seconds: timeout)
        } else {
            deadline = nil
        }
        updateRun(handle) {
            $0.startedAt = now
            $0.detail = detail
            $0.deadline = deadline
        }
        guard case .task(let key) = run.purpose else {
            // A setup whose job was canceled while its launch was pending is not needed any more.
            if run.endRequest != nil { effects.append(.signal(handle, SIGKILL)) }
            return
        }
        switch task(key)?.status {
        case .assigned:
            move(key, to: .running) {
                $0.pid = detail.pid
                $0.host = detail.place ?? detail.backendID
                $0.startedAt = now.wall
                $0.attempts += 1
            }
        case .canceling:
            // Canceled while the launch was pending: the attempt counts, and it ends now.
            modify(key) {
                $0.pid = detail.pid
                $0.host = detail.place ?? detail.backendID
                $0.startedAt = now.wall
                $0.attempts += 1
            }
        default:
            break
        }
        // An end asked for while the launch was pending reaches the run now.
        if run.endRequest != nil {
            let killAt = now + settings.cancelGracePeriod
            updateRun(handle) { $0.killAt = killAt }
            effects.append(.signal(handle, SIGTERM))
        }
    }

    private mutating func launchFailed(_ handle: RunHandle, _ error: LaunchError, at now: Moment) {
        guard let run = endRun(handle) else { return }
        switch run.purpose {
        case .task(let key):
            if task(key)?.status == .canceling {
                finishCanceled(key, run: run, at: now)
            } else if error.transient {
                // Another job's fork bomb, a full process table: not this task's fault. It keeps
                // its place in the queue, uses no retry, and nothing starts for a moment.
                move(key, to: .interrupted) {
                    $0.exception = TaskException(type: "Interrupted", message: "could not start yet: \(error.message); queued again")
                }
                move(key, to: .submitted) { $0.resetForNewAttempt() }
                if let priority = jobs[key.job]?.priority { enqueue(key, priority: priority, first: true) }
                launchBackoffUntil = now + Self.launchBackoff
            } else {
                move(key, to: .failed) {
                    $0.attempts += 1
                    $0.finishedAt = now.wall
                    $0.exception = TaskException(type: "LaunchError", message: error.message)
                }
                taskFinished(key, status: .failed, at: now)
            }
        case .setup(let id):
            setupFailed(id, exception: TaskException(
                type: "EnvironmentSetupError", message: "environment setup could not start: \(error.message)"), at: now)
        case .teardown(let id):
            teardownEnded(id, EnvironmentStepEnd(problem: "could not start: \(error.message)"))
            warnJob(id, "teardown could not start: \(error.message)")
        }
        dispatch(at: now)
    }

    /// A run ended at `at`: decide the task's status from how and when, and move on.
    ///
    /// TIMED_OUT is judged against `at`, the moment the process ended, never against when the
    /// report was processed: a task that exited 0 before its deadline is COMPLETED, however late
    /// its exit is reported and whether or not the deadline's SIGKILL was already on its way.
    private mutating func exited(
        _ handle: RunHandle, _ termination: ProcessTermination, at: Moment, usage: ResourceUsage? = nil, stderrTail: String
    ) {
        guard let run = endRun(handle) else { return }
        switch run.purpose {
        case .task(let key):
            // What the attempt used is kept whatever its status turns out to be.
            if let usage {
                modify(key) {
                    $0.peakRSS = usage.peakRSS
                    $0.cpuTime = usage.cpuTime
                }
            }
            taskExited(key, run: run, termination: termination, at: at, stderrTail: stderrTail)
        case .setup(let id):
            setupExited(id, termination: termination, at: at, stderrTail: stderrTail)
        case .teardown(let id):
            teardownEnded(id, EnvironmentStepEnd(termination: termination))
            if termination != .exited(0) {
                let stderr = stderrTail.trimmingCharacters(in: .whitespacesAndNewlines)
                warnJob(id, "teardown \(Self.describe(termination))" + (stderr.isEmpty ? "" : ": \(stderr)"))
            }
        }
        dispatch(at: at)
    }

    /// The backend lost the run (a node failed, a host died): INTERRUPTED, retried within the limit.
    private mutating func lost(_ handle: RunHandle, reason: String, at: Moment) {
        guard let run = endRun(handle) else { return }
        switch run.purpose {
        case .task(let key):
            if task(key)?.status == .canceling {
                finishCanceled(key, run: run, at: at)
            } else if task(key)?.status == .running || task(key)?.status == .assigned {
                move(key, to: .interrupted) {
                    $0.finishedAt = at.wall
                    $0.exception = TaskException(type: "Interrupted", message: reason)
                }
                requeueIfRetriesLeft(key)
            }
        case .setup(let id):
            // Not the setup's fault: it runs again for the next task in line.
            modifyJob(id) { $0.setup = .pending }
            if let trigger = setupTrigger.removeValue(forKey: id), task(trigger)?.status == .assigned {
                move(trigger, to: .interrupted) {
                    $0.exception = TaskException(type: "Interrupted", message: "its job's setup was lost: \(reason)")
                }
                requeueIfRetriesLeft(trigger)
            }
            for key in (waitingForSetup.removeValue(forKey: id) ?? []).reversed() {
                enqueue(key, priority: jobs[id]?.priority ?? .normal, first: true)
            }
        case .teardown(let id):
            teardownEnded(id, EnvironmentStepEnd(problem: "lost: \(reason)"))
            warnJob(id, "teardown was lost: \(reason)")
        }
        dispatch(at: at)
    }

    private mutating func taskExited(_ key: TaskKey, run: Run, termination: ProcessTermination, at: Moment, stderrTail: String) {
        // Only the job's scalars: a copy of the job held across the moves below would make
        // each one copy the job's whole task array (quadratic over a job).
        guard let taskTimeout = jobs[key.job].map({ $0.taskTimeout }), let task = task(key) else { return }
        func record(_ state: inout TaskState) {
            state.finishedAt = at.wall
            switch termination {
            case .exited(let code): state.exitCode = code
            case .signaled(let signal): state.signal = signal
            }
        }
        if case .cancel = run.endRequest {
            finishCanceled(key, run: run, at: at, termination: termination)
            return
        }
        // An end we asked for counts only if it came before the process ended on its own.
        let endedByUs = run.endRequestedAt.map { $0 <= at } ?? false
        if run.endRequest == .shutdown && endedByUs {
            // Stopped by our own shutdown, not by a fault of the task: it runs again on the
            // next start without using up a retry.
            move(key, to: .interrupted) {
                record(&$0)
                $0.exception = TaskException(type: "Interrupted", message: "the scheduler shut down while the task ran")
            }
            move(key, to: .submitted) { $0.resetForNewAttempt() }
            return
        }
        if let deadline = run.deadline, at >= deadline {
            let limit = taskTimeout.map { Self.formatSeconds($0) } ?? "?"
            let killed = run.timeoutKillSent ? "; killed" : ""
            move(key, to: .timedOut) {
                record(&$0)
                $0.exception = TaskException(
                    type: "TimeoutError", message: "ran longer than the job's task timeout of \(limit)\(killed)")
            }
            taskFinished(key, status: .timedOut, at: at)
            return
        }
        switch termination {
        case .exited(0) where task.status == .running:
            move(key, to: .completed) { record(&$0) }
            taskFinished(key, status: .completed, at: at)
        case .exited(let code):
            move(key, to: .failed) {
                record(&$0)
                if $0.exception == nil {
                    $0.exception = TaskException(type: "ExitStatus", message: "exited with status \(code)", trace: stderrTail)
                }
            }
            taskFinished(key, status: .failed, at: at)
        case .signaled(let signal):
            // A signal the task did not ask for is a system fault: retried within the limit.
            move(key, to: .interrupted) {
                record(&$0)
                $0.exception = TaskException(type: "Interrupted", message: "killed by signal \(signal) (\(Self.signalName(signal)))")
            }
            requeueIfRetriesLeft(key)
        }
    }

    /// A CANCELING task's run is over: CANCELED with the message and reason of the cancel.
    private mutating func finishCanceled(_ key: TaskKey, run: Run, at: Moment, termination: ProcessTermination? = nil) {
        let cancel: (String, CancellationReason)
        if case .cancel(let message, let reason) = run.endRequest {
            cancel = (message, reason)
        } else {
            cancel = (task(key)?.cancellationMessage ?? "Canceled", task(key)?.cancellationReason ?? .direct)
        }
        move(key, to: .canceled) {
            $0.finishedAt = at.wall
            switch termination {
            case .exited(let code)?: $0.exitCode = code
            case .signaled(let signal)?: $0.signal = signal
            case nil: break
            }
            $0.cancellationMessage = cancel.0
            $0.cancellationReason = cancel.1
        }
        taskFinished(key, status: .canceled, at: at)
    }

    /// What a running task wrote to its channel, read by the actor.
    mutating func channelRecords(_ key: TaskKey, _ records: [Result<ChannelRecord, ChannelLineError>]) {
        for record in records {
            switch record {
            case .success(.property(let name, let value)):
                modify(key, propertiesChanged: true) { $0.properties[name] = value }
            case .success(.result(let result)):
                modify(key) { $0.result = result }
            case .success(.exception(let exception)):
                modify(key) { $0.exception = exception }
            case .success(.progress(let progress)):
                modify(key) { $0.progress = progress }
                events.append(.taskProgress(TaskProgressUpdate(jobID: key.job, taskID: key.task, progress: progress)))
            case .failure(let problem):
                warn(key, "channel: \(problem.message)")
            }
        }
    }

    // MARK: Time

    /// Acts on every deadline and kill due by `now`: a task past its timeout is killed (its
    /// status is decided when its exit arrives, by the exit's own moment); a cancel or shutdown
    /// whose grace is over is followed by SIGKILL.
    /// How long nothing starts after a launch failed for want of processes or memory.
    static let launchBackoff = Duration.milliseconds(250)

    mutating func advance(to now: Moment) {
        if let backoff = launchBackoffUntil, now >= backoff { dispatch(at: now) }
        for (handle, run) in runs.sorted(by: { $0.key.raw < $1.key.raw }) {
            if let deadline = run.deadline, now >= deadline, !run.timeoutKillSent, run.endRequest == nil {
                updateRun(handle) {
                    $0.timeoutKillSent = true
                    $0.endRequest = .timeout
                    $0.endRequestedAt = now
                }
                effects.append(.signal(handle, SIGKILL))
            }
            if let killAt = run.killAt, now >= killAt {
                updateRun(handle) { $0.killAt = nil }
                effects.append(.signal(handle, SIGKILL))
            }
        }
    }

    /// Asks a run to end: SIGTERM now, SIGKILL after the grace period. A run whose launch is
    /// still pending is ended at once (``endPendingLaunch(_:)``).
    mutating func requestEnd(_ handle: RunHandle, _ request: EndRequest, at now: Moment, grace: Duration) {
        guard let run = runs[handle], run.endRequest == nil else { return }
        updateRun(handle) {
            $0.endRequest = request
            $0.endRequestedAt = now
        }
        guard run.startedAt != nil else { return endPendingLaunch(handle) }
        updateRun(handle) { $0.killAt = now + grace }
        effects.append(.signal(handle, SIGTERM))
    }

    // MARK: Outcomes

    /// An INTERRUPTED task goes back in the queue while its job allows more retries.
    mutating func requeueIfRetriesLeft(_ key: TaskKey) {
        guard let (maxRetries, priority) = jobs[key.job].map({ ($0.maxInterruptedRetries, $0.priority) }),
              let task = task(key) else { return }
        guard task.interruptedRetryAttempts < maxRetries else {
            completeJobIfDone(key.job)
            return
        }
        move(key, to: .submitted) {
            $0.interruptedRetryAttempts += 1
            $0.resetForNewAttempt()
        }
        enqueue(key, priority: priority)
    }

    /// After a task reaches a final status: consequential cancels, job completion.
    mutating func taskFinished(_ key: TaskKey, status: TaskStatus, at now: Moment) {
        guard let cancelOnFailure = jobs[key.job]?.cancelOnTaskFailure else { return }
        if status == .failed && cancelOnFailure, let task = task(key) {
            cancelTasks(
                of: key.job, only: nil, except: key,
                message: "Canceled because task \(key.task) (\(task.displayName)) failed", reason: .consequential, at: now)
        }
        completeJobIfDone(key.job, at: now)
    }

    mutating func completeJobIfDone(_ id: JobID, at now: Moment? = nil) {
        guard let (finishedAt, anythingStarted) = completion(of: id, at: now) else { return }
        modifyJob(id) { $0.finishedAt = finishedAt }
        events.append(.jobCompleted(jobs[id]!.info(includeTasks: false)))
        if anythingStarted { startTeardown(id) }
    }

    /// When a job whose every task is final finished, and whether anything of it ran; nil while
    /// it is not done (or already marked done).
    private func completion(of id: JobID, at now: Moment?) -> (Date, Bool)? {
        guard let job = jobs[id], job.finishedAt == nil, job.allFinal else { return nil }
        let finishedAt = now?.wall ?? job.tasks.compactMap(\.finishedAt).max() ?? job.submittedAt
        return (finishedAt, job.setup != .pending || job.tasks.contains { $0.attempts > 0 })
    }

    private mutating func setupExited(_ id: JobID, termination: ProcessTermination, at: Moment, stderrTail: String) {
        let trigger = setupTrigger.removeValue(forKey: id)
        modifyJob(id) { $0.setupEnd = EnvironmentStepEnd(termination: termination) }
        guard termination == .exited(0) else {
            setupFailed(id, exception: TaskException(
                type: "EnvironmentSetupError", message: "environment setup \(Self.describe(termination))", trace: stderrTail), at: at)
            return
        }
        modifyJob(id) { $0.setup = .succeeded }
        // The task that waited for setup goes first, then the rest, ahead of other jobs' tasks
        // of the same priority (they were in line before them).
        let release = waitingForSetup.removeValue(forKey: id) ?? []
        // The setup's slot, just freed, passes to the task it ran for.
        if let trigger, task(trigger)?.status == .assigned { start(trigger, at: at) }
        if let priority = jobs[id]?.priority {
            for key in release.reversed() { enqueue(key, priority: priority, first: true) }
        }
    }

    /// Every unfinished task of the job becomes ENVIRONMENT_ERROR and never runs.
    mutating func setupFailed(_ id: JobID, exception: TaskException, at now: Moment) {
        modifyJob(id) { job in
            job.setup = .failed
            if job.setupEnd == nil { job.setupEnd = EnvironmentStepEnd(problem: exception.message) }
        }
        waitingForSetup[id] = nil
        setupTrigger[id] = nil
        let spool = environmentSpool(id, .setup)
        guard let job = jobs[id] else { return }
        for task in job.tasks where task.status == .submitted || task.status == .assigned {
            move(task.key, to: .environmentError) {
                $0.exception = exception
                $0.finishedAt = now.wall
                $0.outputPrefix = spool
            }
        }
        completeJobIfDone(id, at: now)
    }

    // MARK: Words

    /// Keeps how the job's teardown ended, for its job info.
    mutating func teardownEnded(_ id: JobID, _ end: EnvironmentStepEnd) {
        modifyJob(id) { $0.teardownEnd = end }
    }

    static func describe(_ termination: ProcessTermination) -> String {
        switch termination {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(signalName(signal)))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? "\(Int64(seconds))s" : String(format: "%.3gs", seconds)
    }
}
