import Foundation
import TaskmonKit

extension Lifecycle {
    /// Starts queued tasks while slots are free: highest priority first, then arrival order.
    mutating func dispatch(at now: Moment) {
        guard !shuttingDown else { return }
        if let backoff = launchBackoffUntil {
            guard now >= backoff else { return }
            launchBackoffUntil = nil
        }
        while busySlots < settings.slots, let key = nextQueued() {
            guard let job = jobs[key.job] else { continue }
            if job.environment?.setup != nil && job.setup != .succeeded {
                switch job.setup {
                case .pending, .failed:
                    startSetup(for: key, at: now)
                case .running:
                    waitingForSetup[key.job, default: []].append(key)
                case .succeeded:
                    break
                }
                continue
            }
            guard move(key, to: .assigned, { $0.assignedAt = now.wall }) else { continue }
            start(key, at: now)
        }
    }

    /// The next task still waiting in the queues, skipping ones canceled since they were queued.
    private mutating func nextQueued() -> TaskKey? {
        for priority in JobPriority.allCases.reversed() {
            while let key = queues[priority.rawValue].popFirst() {
                if task(key)?.status == .submitted { return key }
            }
        }
        return nil
    }

    /// Launches an ASSIGNED task in a slot; it becomes RUNNING once the backend says it started.
    mutating func start(_ key: TaskKey, at now: Moment) {
        guard let request = taskRequest(key) else { return }
        let handle = newHandle()
        addRun(handle, Run(purpose: .task(key), holdsSlot: true, stderrPath: request.stderrPath))
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
        request.host = hostLaunch(job, task)
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
        addRun(handle, Run(purpose: .setup(key.job), holdsSlot: true, stderrPath: request.stderrPath))
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
