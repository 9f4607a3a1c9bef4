import Foundation
import TaskmonKit

extension Scheduler {
    /// Starts queued tasks while slots are free: highest priority first, then arrival order.
    func dispatch() {
        guard !shuttingDown else { return }
        while busySlots < configuration.slots, let key = nextQueued() {
            guard let job = jobs[key.job] else { continue }
            if job.environment?.setup != nil && job.setup != .succeeded {
                switch job.setup {
                case .pending, .failed:
                    startSetup(for: key)
                case .running:
                    waitingForSetup[key.job, default: []].append(key)
                case .succeeded:
                    break
                }
                continue
            }
            guard move(key, to: .assigned, { $0.assignedAt = Date() }) else { continue }
            start(key)
        }
        flush()
        ensureTicker()
    }

    /// The next task still waiting in the queues, skipping ones canceled since they were queued.
    private func nextQueued() -> TaskKey? {
        for priority in JobPriority.allCases.reversed() {
            while let key = queues[priority.rawValue].popFirst() {
                if jobs[key.job]?.tasks[key.task].status == .submitted { return key }
            }
        }
        return nil
    }

    /// Launches an ASSIGNED task in a slot and moves it to RUNNING (or FAILED when it cannot start).
    func start(_ key: TaskKey) {
        guard let job = jobs[key.job], let task = jobs[key.job]?.tasks[key.task] else { return }
        let spool = configuration.stateDirectory.taskSpool(job: key.job, task: key.task)
        let channelPath = spool + ".channel"
        prepareSpool(spool, job: key.job, fresh: task.attempts == 0)
        var environment = jobEnvironment(job)
        environment.merge(task.env) { $1 }
        environment[TaskEnvironment.channel] = channelPath
        environment[TaskEnvironment.taskID] = String(key.task)
        environment[TaskEnvironment.attempt] = String(task.attempts + 1)
        let request = LaunchRequest(
            argv: task.command, environment: environment, workingDirectory: task.cwd ?? job.environment?.cwd,
            stdoutPath: spool + ".stdout", stderrPath: spool + ".stderr")
        do {
            let pid = try backend.launch(request)
            busySlots += 1
            let deadline = job.taskTimeout.map { ContinuousClock.now + .milliseconds(Int64($0 * 1000)) }
            running[pid] = RunningProcess(kind: .task(key), channel: ChannelReader(path: channelPath), deadline: deadline)
            pidByTask[key] = pid
            move(key, to: .running) {
                $0.pid = pid
                $0.startedAt = Date()
                $0.attempts += 1
            }
        } catch {
            move(key, to: .failed) {
                $0.attempts += 1
                $0.finishedAt = Date()
                $0.exception = TaskException(type: "LaunchError", message: error.message)
            }
            taskFinished(key, status: .failed)
        }
    }

    /// Makes sure the job's output folder exists and, unless this is a first attempt,
    /// removes the last attempt's files so that the new one starts with fresh output.
    /// Plain syscalls: this runs for every task on the scheduler's hot path.
    func prepareSpool(_ spool: String, job: JobID, fresh: Bool) {
        if jobs[job]?.outputFolderReady != true {
            mkdir(configuration.stateDirectory.jobOutputPath(job), 0o755)
            jobs[job]?.outputFolderReady = true
        }
        guard !fresh else { return }
        for suffix in [".stdout", ".stderr", ".channel"] { unlink(spool + suffix) }
    }

    /// Runs the job's setup in the slot of the task first in line, which waits ASSIGNED.
    private func startSetup(for key: TaskKey) {
        guard let setup = jobs[key.job]?.environment?.setup else { return }
        guard move(key, to: .assigned, { $0.assignedAt = Date() }) else { return }
        let spool = environmentSpool(key.job, .setup)
        prepareSpool(spool, job: key.job, fresh: false)
        jobs[key.job]!.setup = .running
        markJobChanged(key.job)
        let job = jobs[key.job]!
        do {
            let pid = try backend.launch(environmentRequest(job, argv: setup, spool: spool))
            busySlots += 1
            running[pid] = RunningProcess(kind: .setup(key.job, trigger: key))
        } catch {
            setupFailed(key.job, exception: TaskException(
                type: "EnvironmentSetupError", message: "environment setup could not start: \(error.message)"))
        }
    }

    /// Runs the job's teardown once all its tasks are final; it takes no slot.
    func startTeardown(_ id: JobID) {
        guard let teardown = jobs[id]?.environment?.teardown, jobs[id]?.teardownStarted == false else { return }
        jobs[id]!.teardownStarted = true
        markJobChanged(id)
        let job = jobs[id]!
        let spool = environmentSpool(id, .teardown)
        prepareSpool(spool, job: id, fresh: false)
        do {
            let pid = try backend.launch(environmentRequest(job, argv: teardown, spool: spool))
            running[pid] = RunningProcess(kind: .teardown(id))
            ensureTicker()
        } catch {
            warnJob(id, "teardown could not start: \(error.message)")
        }
    }

    /// The two commands a job's environment runs around its tasks.
    enum EnvironmentPhase: String {
        case setup, teardown
    }

    /// Where a job's setup or teardown output goes: `output/JOB/setup.stdout`, say.
    func environmentSpool(_ id: JobID, _ phase: EnvironmentPhase) -> String {
        configuration.stateDirectory.jobOutputPath(id) + "/" + phase.rawValue
    }

    /// The scheduler's environment with the job's on top, and the job's number.
    private func jobEnvironment(_ job: JobState) -> [String: String] {
        var environment = configuration.baseEnvironment
        environment.merge(job.environment?.env ?? [:]) { $1 }
        environment[TaskEnvironment.jobID] = String(job.id)
        return environment
    }

    private func environmentRequest(_ job: JobState, argv: [String], spool: String) -> LaunchRequest {
        LaunchRequest(
            argv: argv, environment: jobEnvironment(job), workingDirectory: job.environment?.cwd,
            stdoutPath: spool + ".stdout", stderrPath: spool + ".stderr")
    }
}
