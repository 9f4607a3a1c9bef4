import Foundation
import TaskmonKit

/// A job and a task index: the key of a task everywhere in the scheduler.
package struct TaskKey: Hashable, Sendable {
    package var job: JobID
    package var task: TaskIndex

    package init(job: JobID, task: TaskIndex) {
        self.job = job
        self.task = task
    }
}

/// The scheduler's own record of a task: what it was asked to run and all it has returned.
/// Output stays on disk; only its location is kept here.
struct TaskState: Sendable {
    var jobID: JobID
    var index: TaskIndex
    var name: String?
    var command: [String]
    var env: [String: String]
    var cwd: String?
    var status: TaskStatus
    var attempts = 0
    var interruptedRetryAttempts = 0
    var pid: Int32?
    /// Where it runs or ran, in its backend's words; nil for a plain local process.
    var host: String?
    /// The backend's record of the current attempt's run (a Slurm job id), kept so that a
    /// restarted scheduler can adopt a run that went on without it.
    var runDetail: RunDetail?
    /// What the backend says about the task now: why it waits in a cluster's queue.
    var message: String?
    var submittedAt: Date?
    var assignedAt: Date?
    var startedAt: Date?
    var finishedAt: Date?
    var exitCode: Int32?
    var signal: Int32?
    var progress: TaskProgress?
    var result: TaskResult?
    var properties: [String: PropertyValue] = [:]
    var exception: TaskException?
    var cancellationMessage: String?
    var cancellationReason: CancellationReason = .none
    var warnings: [String] = []
    /// Where stdout/stderr live when not in the task's own spool files: a failed setup's
    /// (a path prefix, as ``StateDirectory/taskSpool(job:task:)``).
    var outputPrefix: String?
    /// A pickled Python task object, run in a warm host of its job (``JobState/host``).
    var python: String?
    /// What the attempt's process used, once it has ended (local processes only).
    var peakRSS: Int64?
    var cpuTime: Double?
    /// The earlier attempts kept, oldest first; at most ``AttemptSummary/keptLimit``.
    var earlierAttempts: [AttemptRecord] = []
    /// What this task needs instead of its job's ``JobState/resources``.
    var resources: TaskResources?

    var key: TaskKey { TaskKey(job: jobID, task: index) }
    var displayName: String { name ?? "task-\(index)" }

    /// The task as clients see it; output is added by the caller when asked for.
    func info() -> TaskInfo {
        var info = TaskInfo(
            jobID: jobID, id: index, name: displayName, status: status, command: command,
            attempts: attempts, interruptedRetryAttempts: interruptedRetryAttempts, pid: pid,
            submittedAt: submittedAt, assignedAt: assignedAt, startedAt: startedAt, finishedAt: finishedAt,
            exitCode: exitCode, signal: signal, progress: progress, result: result, properties: properties,
            exception: exception, cancellationMessage: cancellationMessage,
            cancellationReason: cancellationReason, warnings: warnings)
        info.host = host
        info.peakRSS = peakRSS
        info.cpuTime = cpuTime
        if !earlierAttempts.isEmpty { info.attemptHistory = earlierAttempts.map(\.summary) }
        // Only while it waits for its launch: once it runs, the reason is history.
        info.message = status == .assigned || status == .submitted ? message : nil
        return info
    }

    /// Adds an earlier attempt, the oldest kept going beyond ``AttemptSummary/keptLimit``.
    mutating func keep(_ record: AttemptRecord) {
        earlierAttempts.append(record)
        if earlierAttempts.count > AttemptSummary.keptLimit {
            earlierAttempts.removeFirst(earlierAttempts.count - AttemptSummary.keptLimit)
        }
    }

    /// The current attempt has not started yet: the last one counted is already kept.
    var currentAttemptKept: Bool { attempts > 0 && earlierAttempts.last?.attempt == attempts }

    /// Clears what one attempt returned, for a retry, keeping it first among the earlier
    /// attempts (the oldest kept one goes beyond the limit). An attempt that never started
    /// (a launch that failed for want of processes) counts for nothing and is not kept.
    mutating func resetForNewAttempt() {
        if attempts > (earlierAttempts.last?.attempt ?? 0) { keep(AttemptRecord(self)) }
        peakRSS = nil
        cpuTime = nil
        pid = nil
        host = nil
        runDetail = nil
        message = nil
        assignedAt = nil
        startedAt = nil
        finishedAt = nil
        exitCode = nil
        signal = nil
        progress = nil
        result = nil
        properties = [:]
        exception = nil
        cancellationMessage = nil
        cancellationReason = .none
        warnings = []
        outputPrefix = nil
    }
}

/// Where a job's environment setup stands.
enum SetupState: String, Sendable {
    /// No setup command, or not run yet.
    case pending
    case running
    case succeeded
    case failed
}

/// The scheduler's own record of a job.
struct JobState: Sendable {
    var id: JobID
    var name: String
    var description: String?
    var priority: JobPriority
    var taskTimeout: Double?
    var maxInterruptedRetries: Int
    var cancelOnTaskFailure: Bool
    var environment: EnvironmentSpec?
    /// What the job's runs start from (``TaskBaseEnvironment``), fixed at submission; nil for a
    /// job stored before it was kept, which takes the scheduler's minimal base.
    var baseEnvironment: [String: String]?
    /// How the job's Python tasks are hosted, when it has any.
    var host: HostSpec?
    /// Cores and memory each of its tasks needs; nil: one core, no memory ask.
    var resources: TaskResources?
    var submittedAt: Date
    var finishedAt: Date?
    var setup: SetupState = .pending
    /// Set once teardown has been started for the current round of tasks.
    var teardownStarted = false
    /// Problems of the job as a whole (a teardown that failed), for people to see.
    var warnings: [String] = []
    /// How the setup and teardown of the current round ended (stored, and read back at a
    /// restart; a teardown that was still running then reads as `unknown`).
    var setupEnd: EnvironmentStepEnd?
    var teardownEnd: EnvironmentStepEnd?
    /// The job's output folder exists (not stored: checked again after a restart).
    var outputFolderReady = false
    var tasks: [TaskState]
    /// Tasks per status, kept in step with every change so that listing jobs costs nothing.
    var counts = [Int](repeating: 0, count: TaskStatus.allCases.count)

    /// A task is final when it is finished, or INTERRUPTED with no retries left.
    func isFinal(_ task: TaskState) -> Bool {
        task.status.isFinished || (task.status == .interrupted && task.interruptedRetryAttempts >= maxInterruptedRetries)
    }

    var finalCount: Int {
        var total = 0
        for status in TaskStatus.allCases where status.isFinished { total += counts[status.rawValue] }
        if counts[TaskStatus.interrupted.rawValue] > 0 {
            total += tasks.lazy.filter { $0.status == .interrupted && isFinal($0) }.count
        }
        return total
    }

    var allFinal: Bool { finalCount == tasks.count }

    mutating func recount() {
        counts = [Int](repeating: 0, count: TaskStatus.allCases.count)
        for task in tasks { counts[task.status.rawValue] += 1 }
    }

    func info(includeTasks: Bool) -> JobInfo {
        var statusCounts: [String: Int] = [:]
        for status in TaskStatus.allCases where counts[status.rawValue] > 0 {
            statusCounts[status.name] = counts[status.rawValue]
        }
        let final = finalCount
        var info = JobInfo(
            id: id, name: name, description: description, priority: priority, taskTimeout: taskTimeout,
            maxInterruptedRetries: maxInterruptedRetries, cancelOnTaskFailure: cancelOnTaskFailure,
            submittedAt: submittedAt, finishedAt: finishedAt, taskCount: tasks.count, statusCounts: statusCounts,
            doneCount: final, warnings: warnings,
            tasks: includeTasks ? tasks.map { $0.info() } : nil)
        info.resources = resources
        info.setup = setupInfo
        info.teardown = teardownInfo
        return info
    }

    private var setupInfo: EnvironmentStepInfo? {
        guard environment?.setup != nil else { return nil }
        switch setup {
        case .pending: return EnvironmentStepInfo(state: .pending)
        case .running: return EnvironmentStepInfo(state: .running)
        case .succeeded: return setupEnd?.info ?? EnvironmentStepInfo(state: .succeeded)
        case .failed: return setupEnd?.info ?? EnvironmentStepInfo(state: .failed)
        }
    }

    private var teardownInfo: EnvironmentStepInfo? {
        guard environment?.teardown != nil else { return nil }
        if let teardownEnd { return teardownEnd.info }
        guard teardownStarted else { return EnvironmentStepInfo(state: .pending) }
        return EnvironmentStepInfo(state: teardownOutcomeLost ? .unknown : .running)
    }

    /// Set at recovery for a teardown started before the restart: nothing runs it now.
    var teardownOutcomeLost = false
}

/// How an environment command ended: its exit status, or why there is none.
struct EnvironmentStepEnd: Sendable {
    var termination: ProcessTermination?
    var problem: String?

    var info: EnvironmentStepInfo {
        switch termination {
        case .exited(let code): EnvironmentStepInfo(state: code == 0 ? .succeeded : .failed, exitCode: code, problem: problem)
        case .signaled(let signal): EnvironmentStepInfo(state: .failed, signal: signal, problem: problem)
        case nil: EnvironmentStepInfo(state: .failed, problem: problem)
        }
    }
}
