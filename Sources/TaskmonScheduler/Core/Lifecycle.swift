import DequeModule
import Foundation
import TaskmonKit

/// The task lifecycle as a pure reducer: every input is a request or a backend report with the
/// moment it happened; every output is a state change plus effects for the actor to carry out.
///
/// Nothing here does I/O, reads a clock or signals a process. The ``Scheduler`` actor is the one
/// interpreter of its effects (launch, signal, kill an orphan) and hands the changes it
/// collects (``batch`` and ``events``) to the commit queue, which makes them durable before
/// they are published. So every decision can be tested by feeding inputs and moments, and a
/// report processed late decides by the moment it carries, never by the time it was processed.
struct Lifecycle {
    /// What the lifecycle needs to know about where and how it runs.
    struct Settings: Sendable {
        var stateDirectory: StateDirectory
        /// Runs at once, counted in cores: a task whose job asks for N cores takes N slots.
        var slots: Int
        /// Megabytes that tasks' memory asks may reserve together; nil: asks are not counted.
        var memoryMB: Int? = nil
        /// Cores and memory are counted here (the local backend); a cluster backend counts
        /// them itself, and every run takes one slot of the scheduler's in-flight limit.
        var countsResources = true
        var cancelGracePeriod: Duration
        /// What a job's runs start from when its submitter sent no environment.
        var baseEnvironment: [String: String]

        init(stateDirectory: StateDirectory, slots: Int, cancelGracePeriod: Duration, baseEnvironment: [String: String]) {
            self.stateDirectory = stateDirectory
            self.slots = max(1, slots)
            self.cancelGracePeriod = cancelGracePeriod
            self.baseEnvironment = baseEnvironment
        }
    }

    /// Something the actor must do for the lifecycle.
    enum Effect: Sendable, Equatable {
        /// Start a run; its outcome comes back through ``launched(_:_:at:)``.
        case launch(RunHandle, LaunchRequest)
        case signal(RunHandle, Int32)
        /// A task process a crashed scheduler left behind: kill its group if it is still that task.
        case killOrphan(pid: Int32, TaskKey)
        /// An earlier attempt dropped beyond the limit of those kept: remove its spool files
        /// (`PREFIX.stdout`, `.stderr`, `.channel`).
        case discardAttemptOutput(prefix: String)
    }

    /// Why the scheduler decided a run must end, and when; the first decision wins.
    enum EndRequest: Sendable, Equatable {
        case timeout
        case cancel(message: String, reason: CancellationReason)
        case shutdown
    }

    /// A run the lifecycle started and waits for.
    struct Run: Sendable, Equatable {
        var purpose: RunPurpose
        var detail: RunDetail?
        /// When the backend started it; nil while a launch is pending.
        var startedAt: Moment?
        var deadline: Moment?
        var endRequest: EndRequest?
        var endRequestedAt: Moment?
        /// When SIGKILL follows the SIGTERM of a cancel or shutdown.
        var killAt: Moment?
        /// Sent SIGKILL because its deadline passed.
        var timeoutKillSent = false
        /// Takes a slot (tasks and setups; a teardown does not).
        var holdsSlot: Bool
        var stderrPath: String
        /// What it holds while it lasts (with `holdsSlot`): slots (cores) and megabytes.
        var claim = ResourceClaim.one
    }

    /// Slots (cores) and megabytes of memory a run holds.
    struct ResourceClaim: Sendable, Equatable {
        var cores: Int
        var memoryMB: Int
        static let one = ResourceClaim(cores: 1, memoryMB: 0)
    }

    let settings: Settings
    private(set) var jobs: [JobID: JobState] = [:]
    private(set) var jobOrder: [JobID] = []
    var nextJobID: JobID = 1
    /// Waiting tasks, one queue per priority; served highest first, then in order of arrival.
    var queues = [Deque<TaskKey>](repeating: Deque(), count: JobPriority.allCases.count)
    /// Tasks held back until their job's setup has finished.
    var waitingForSetup: [JobID: [TaskKey]] = [:]
    /// The task first in line when a job's setup started: it waits ASSIGNED in the setup's slot.
    var setupTrigger: [JobID: TaskKey] = [:]
    private(set) var runs: [RunHandle: Run] = [:]
    private(set) var handleByTask: [TaskKey: RunHandle] = [:]
    private(set) var busySlots = 0
    /// Megabytes reserved by the memory asks of runs holding slots.
    private(set) var busyMemoryMB = 0
    var shuttingDown = false
    /// After a launch failed for want of processes or memory, nothing starts before this moment.
    var launchBackoffUntil: Moment?
    private var lastHandle: UInt64 = 0

    /// Changes to commit, and the events to publish once they are committed.
    var batch = StoreBatch()
    /// Tasks changed since the last ``takeChanges()``; copied into the batch only then, so that
    /// a task changed many times in one turn (a property a line) is copied once, not each time.
    private var changedTasks: Set<TaskKey> = []
    var events: [EventBody] = []
    /// Effects for the actor, in order.
    var effects: [Effect] = []

    init(settings: Settings, jobs loaded: [JobState] = []) {
        self.settings = settings
        for job in loaded {
            jobs[job.id] = job
            jobOrder.append(job.id)
            nextJobID = max(nextJobID, job.id + 1)
        }
    }

    /// Takes the effects collected so far.
    mutating func takeEffects() -> [Effect] {
        defer { effects.removeAll(keepingCapacity: true) }
        return effects
    }

    /// Takes the changes and events collected so far, for the commit queue.
    mutating func takeChanges() -> (StoreBatch, [EventBody]) {
        // Rows (and properties) are written from each changed task's state at this point.
        for key in changedTasks.union(batch.propertiesChanged).union(batch.attemptsChanged) {
            batch.tasks[key] = jobs[key.job]?.tasks[key.task]
        }
        changedTasks.removeAll(keepingCapacity: true)
        defer {
            batch = StoreBatch()
            events.removeAll(keepingCapacity: true)
        }
        return (batch, events)
    }

    var hasChanges: Bool { !batch.isEmpty || !events.isEmpty || !changedTasks.isEmpty }

    func task(_ key: TaskKey) -> TaskState? {
        guard let job = jobs[key.job], key.task >= 0, key.task < job.tasks.count else { return nil }
        return job.tasks[key.task]
    }

    /// The earliest moment at which ``advance(to:)`` has something to do: a deadline or a kill.
    var nextTimer: Moment? {
        var earliest: Moment?
        for run in runs.values {
            if let deadline = run.deadline, !run.timeoutKillSent, run.endRequest == nil {
                earliest = min(earliest ?? deadline, deadline)
            }
            if let killAt = run.killAt { earliest = min(earliest ?? killAt, killAt) }
        }
        if let backoff = launchBackoffUntil { earliest = min(earliest ?? backoff, backoff) }
        return earliest
    }

    // MARK: Recording changes

    /// Moves a task to `status` through the one transition function, keeping counts, the
    /// batch and the event stream in step. `update` fills in the fields that go with the move.
    @discardableResult
    mutating func move(_ key: TaskKey, to status: TaskStatus, _ update: (inout TaskState) -> Void = { _ in }) -> Bool {
        guard var task = task(key) else { return false }
        let previous = task.status
        guard let next = try? previous.moved(to: status) else {
            assertionFailure("illegal task status change \(previous.name) → \(status.name) for \(key)")
            return false
        }
        task.status = next
        let kept = (task.earlierAttempts.first?.attempt, task.earlierAttempts.last?.attempt)
        update(&task)
        if task.earlierAttempts.last?.attempt != kept.1 {
            // Kept by the update, which sees the new status already: the attempt ended as `previous`.
            task.earlierAttempts[task.earlierAttempts.count - 1].status = previous
            keptAttempt(of: task, oldestBefore: kept.0)
        }
        jobs[key.job]!.tasks[key.task] = task
        jobs[key.job]!.counts[previous.rawValue] -= 1
        jobs[key.job]!.counts[status.rawValue] += 1
        changedTasks.insert(key)
        events.append(.taskStatusChanged(TaskStatusChange(
            jobID: key.job, taskID: key.task, name: task.displayName, previous: previous, status: status,
            pid: task.pid, attempts: task.attempts, exitCode: task.exitCode, signal: task.signal,
            exceptionType: task.exception?.type, cancellationReason: task.cancellationReason,
            peakRSS: task.peakRSS, cpuTime: task.cpuTime)))
        return true
    }

    /// A task's attempt was just kept (``TaskState/resetForNewAttempt()``): its record is written
    /// with the change that starts the next, and the files of one it pushed out are removed.
    mutating func keptAttempt(of task: TaskState, oldestBefore: Int?) {
        batch.attemptsChanged.insert(task.key)
        guard let dropped = oldestBefore, let oldest = task.earlierAttempts.first?.attempt, dropped < oldest else { return }
        for attempt in dropped..<oldest {
            effects.append(.discardAttemptOutput(
                prefix: settings.stateDirectory.attemptSpool(job: task.jobID, task: task.index, attempt: attempt)))
        }
    }

    /// Changes a task's fields without changing its status.
    mutating func modify(_ key: TaskKey, propertiesChanged: Bool = false, _ update: (inout TaskState) -> Void) {
        guard task(key) != nil else { return }
        update(&jobs[key.job]!.tasks[key.task])
        changedTasks.insert(key)
        if propertiesChanged { batch.propertiesChanged.insert(key) }
    }

    mutating func modifyJob(_ id: JobID, _ update: (inout JobState) -> Void) {
        guard jobs[id] != nil else { return }
        update(&jobs[id]!)
        // A job submitted in this pass goes to the store as inserted: its copy there must
        // carry the change too (a setup started at once was lost from the store otherwise).
        if let index = batch.newJobs.lastIndex(where: { $0.id == id }) {
            batch.newJobs[index] = jobs[id]!
        } else {
            batch.jobs[id] = jobs[id]!
        }
    }

    /// Adds a job the lifecycle has not seen (a submission).
    mutating func insert(_ job: JobState) {
        jobs[job.id] = job
        jobOrder.append(job.id)
        batch.newJobs.append(job)
    }

    mutating func newHandle() -> RunHandle {
        lastHandle += 1
        return RunHandle(lastHandle)
    }

    mutating func enqueue(_ key: TaskKey, priority: JobPriority, first: Bool = false) {
        if first {
            queues[priority.rawValue].prepend(key)
        } else {
            queues[priority.rawValue].append(key)
        }
    }

    /// Records a problem on the task for people to see; a flood is cut short.
    mutating func warn(_ key: TaskKey, _ message: String) {
        guard let task = task(key), task.warnings.count < Self.maxWarnings else { return }
        let text = task.warnings.count == Self.maxWarnings - 1 ? "further warnings suppressed" : message
        modify(key) { $0.warnings.append(text) }
        events.append(.taskWarning(TaskWarning(jobID: key.job, taskID: key.task, message: text)))
    }

    /// Records a problem of the whole job, for people to see (`taskmon show JOB`).
    mutating func warnJob(_ id: JobID, _ message: String) {
        guard let count = jobs[id]?.warnings.count, count < Self.maxWarnings else { return }
        modifyJob(id) { $0.warnings.append(message) }
    }

    static let maxWarnings = 20

    mutating func takeSlot(_ run: Run) {
        guard run.holdsSlot else { return }
        busySlots += run.claim.cores
        busyMemoryMB += run.claim.memoryMB
    }

    mutating func endRun(_ handle: RunHandle) -> Run? {
        guard let run = runs.removeValue(forKey: handle) else { return nil }
        if run.holdsSlot {
            busySlots -= run.claim.cores
            busyMemoryMB -= run.claim.memoryMB
        }
        if case .task(let key) = run.purpose, handleByTask[key] == handle { handleByTask[key] = nil }
        return run
    }

    mutating func addRun(_ handle: RunHandle, _ run: Run) {
        runs[handle] = run
        takeSlot(run)
        if case .task(let key) = run.purpose { handleByTask[key] = handle }
    }

    mutating func updateRun(_ handle: RunHandle, _ update: (inout Run) -> Void) {
        guard runs[handle] != nil else { return }
        update(&runs[handle]!)
    }
}
