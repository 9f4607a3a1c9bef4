import Foundation
import TaskmonKit

extension Lifecycle {
    /// Starts queued tasks while slots (and the memory they ask for) are free: highest priority
    /// first, then arrival order; the first that does not fit waits (``Lifecycle/admission(_:)``).
    mutating func dispatch(at now: Moment) {
        guard !shuttingDown else { return }
        if let backoff = launchBackoffUntil {
            guard now >= backoff else { return }
            launchBackoffUntil = nil
        }
        while busySlots < settings.slots, let (key, priority) = nextQueued() {
            guard let job = jobs[key.job] else {
                queues[priority].removeFirst()
                continue
            }
            let needsSetup = job.environment?.setup != nil && job.setup != .succeeded
            if needsSetup && job.setup == .running {
                queues[priority].removeFirst()
                waitingForSetup[key.job, default: []].append(key)
                continue
            }
            switch admission(key) {
            case .waits:
                return
            case .neverFits(let problem):
                queues[priority].removeFirst()
                resourcesNeverFit(key, problem, at: now)
                continue
            case .fits:
                queues[priority].removeFirst()
            }
            if needsSetup {
                startSetup(for: key, at: now)
                continue
            }
            guard move(key, to: .assigned, { $0.assignedAt = now.wall }) else { continue }
            start(key, at: now)
        }
    }

    /// The next task still waiting in the queues (left first in its queue), and that queue;
    /// drops ones canceled since they were queued.
    private mutating func nextQueued() -> (TaskKey, Int)? {
        for priority in JobPriority.allCases.reversed() {
            while let key = queues[priority.rawValue].first {
                if task(key)?.status == .submitted { return (key, priority.rawValue) }
                queues[priority.rawValue].removeFirst()
            }
        }
        return nil
    }

    /// Launches an ASSIGNED task in a slot; it becomes RUNNING once the backend says it started.
    mutating func start(_ key: TaskKey, at now: Moment) {
        guard let request = taskRequest(key) else { return }
        let handle = newHandle()
        var run = Run(purpose: .task(key), holdsSlot: true, stderrPath: request.stderrPath)
        run.claim = claim(for: key)
        addRun(handle, run)
        effects.append(.launch(handle, request))
    }

    /// What a task's next attempt runs: its command, environment, cwd and spool files.
    func taskRequest(_ key: TaskKey) -> LaunchRequest? {
        guard let job = jobs[key.job], let task = task(key) else { return nil }
        let spool = settings.stateDirectory.taskSpool(job: key.job, task: key.task)
        let channelPath = spool + ".channel"
        var environment = jobEnvironment(job)
        environment.merge(task.env) { $1 }
        environment[TaskEnvironment.channel] = channelPath
        environment[TaskEnvironment.taskID] = String(key.task)
        environment[TaskEnvironment.attempt] = String(task.attempts + 1)
        var request = LaunchRequest(
            argv: task.command, environment: environment, workingDirectory: task.cwd ?? job.environment?.cwd,
            stdoutPath: spool + ".stdout", stderrPath: spool + ".stderr", channelPath: channelPath,
            purpose: .task(key), timeLimit: job.taskTimeout.map(Self.duration(seconds:)), priority: job.priority,
            replacesEarlierAttempt: task.attempts > 0)
        if task.attempts > 0 {
            // The last attempt's output is kept beside the task's own files, under its number.
            request.keepsEarlierAttemptAs = settings.stateDirectory.attemptSpool(job: key.job, task: key.task, attempt: task.attempts)
        }
        request.host = hostLaunch(job, task)
        request.resources = task.resources ?? job.resources
        return request
    }

    /// Runs the job's setup in the slot of the task first in line, which waits ASSIGNED.
    private mutating func startSetup(for key: TaskKey, at now: Moment) {
        guard let job = jobs[key.job], let setup = job.environment?.setup else { return }
        guard move(key, to: .assigned, { $0.assignedAt = now.wall }) else { return }
        modifyJob(key.job) { $0.setup = .running }
        let spool = environmentSpool(key.job, .setup)
        var request = environmentRequest(job, argv: setup, spool: spool)
        request.purpose = .setup(key.job)
        let handle = newHandle()
        var run = Run(purpose: .setup(key.job), holdsSlot: true, stderrPath: request.stderrPath)
        run.claim = claim(for: key)
        addRun(handle, run)
        setupTrigger[key.job] = key
        effects.append(.launch(handle, request))
    }

    /// Runs the job's teardown once all its tasks are final; it takes no slot.
    mutating func startTeardown(_ id: JobID) {
        guard let job = jobs[id], let teardown = job.environment?.teardown, !job.teardownStarted else { return }
        modifyJob(id) { $0.teardownStarted = true }
        var request = environmentRequest(job, argv: teardown, spool: environmentSpool(id, .teardown))
        request.purpose = .teardown(id)
        let handle = newHandle()
        addRun(handle, Run(purpose: .teardown(id), holdsSlot: false, stderrPath: request.stderrPath))
        effects.append(.launch(handle, request))
    }

    /// The two commands a job's environment runs around its tasks.
    enum EnvironmentPhase: String, Sendable {
        case setup, teardown
    }

    /// Where a job's setup or teardown output goes: `output/JOB/setup.stdout`, say.
    func environmentSpool(_ id: JobID, _ phase: EnvironmentPhase) -> String {
        settings.stateDirectory.jobOutputPath(id) + "/" + phase.rawValue
    }

    /// Where a task's stream lives: its own files, or its job's setup files after an environment error.
    func outputPath(_ task: TaskState, _ stream: OutputStreamName) -> String {
        let spool = task.outputPrefix ?? settings.stateDirectory.taskSpool(job: task.jobID, task: task.index)
        return spool + "." + stream.rawValue
    }

    /// Where an earlier attempt's stream lives: its kept files, or the task's own while the next
    /// attempt has not launched yet (its launch moves them aside).
    func outputPath(_ task: TaskState, _ record: AttemptRecord, _ stream: OutputStreamName) -> String {
        if let prefix = record.outputPrefix { return prefix + "." + stream.rawValue }
        let kept = settings.stateDirectory.attemptSpool(job: task.jobID, task: task.index, attempt: record.attempt)
            + "." + stream.rawValue
        let notMovedYet = task.currentAttemptKept && record.attempt == task.attempts && handleByTask[task.key] == nil
        var status = stat()
        if notMovedYet && lstat(kept, &status) != 0 && errno == ENOENT { return outputPath(task, stream) }
        return kept
    }

    /// What the job's runs start from (its submitter's environment, or the minimal base) with
    /// the job's `env` on top, then the job's number and the state dir.
    private func jobEnvironment(_ job: JobState) -> [String: String] {
        var environment = job.baseEnvironment ?? settings.baseEnvironment
        environment.merge(job.environment?.env ?? [:]) { $1 }
        environment[TaskEnvironment.jobID] = String(job.id)
        // The marker by which leftovers of a task are found (OrphanSweep); `taskmon` run inside
        // a task finds this scheduler by it too.
        environment[OrphanSweep.stateDirVariable] = settings.stateDirectory.path
        return environment
    }

    private func environmentRequest(_ job: JobState, argv: [String], spool: String) -> LaunchRequest {
        // A setup or teardown run again (a retried job) starts with fresh output.
        LaunchRequest(
            argv: argv, environment: jobEnvironment(job), workingDirectory: job.environment?.cwd,
            stdoutPath: spool + ".stdout", stderrPath: spool + ".stderr", priority: job.priority,
            replacesEarlierAttempt: true)
    }

    /// Seconds from a spec as a Duration, saturating instead of trapping on absurd values.
    static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite else { return seconds > 0 ? .seconds(Int64.max / 2) : .zero }
        let limit = Double(Int64.max / 2_000_000_000)
        return .milliseconds(Int64((min(max(seconds, 0), limit) * 1000).rounded(.up)))
    }
}
