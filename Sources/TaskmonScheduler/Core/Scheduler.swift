import DequeModule
import Foundation
import Logging
import TaskmonKit

/// The one owner of scheduling state: the queue, every task's status, retries, timeouts, cancels.
///
/// Each entry point changes the in-memory state, collects the changes in a ``StoreBatch``,
/// and ends with ``flush()``, which hands the batch to the ``CommitQueue``: it commits the
/// batch and only then publishes its events.
actor Scheduler {
    /// A process the scheduler started and waits for.
    struct RunningProcess {
        enum Kind {
            case task(TaskKey)
            /// A job's setup, started on behalf of the task that was first in line.
            case setup(JobID, trigger: TaskKey)
            case teardown(JobID)
        }
        var kind: Kind
        var channel: ChannelReader?
        var deadline: ContinuousClock.Instant?
        var cancel: (message: String, reason: CancellationReason)?
        var killAt: ContinuousClock.Instant?
        var timedOut = false
        var shutdownRequested = false
    }

    let configuration: SchedulerConfiguration
    let hub: EventHub
    private(set) var backend: (any Backend)!
    let logger: Logger

    var jobs: [JobID: JobState] = [:]
    var jobOrder: [JobID] = []
    var nextJobID: JobID = 1
    /// Waiting tasks, one queue per priority; served highest first, then in order of arrival.
    var queues = [Deque<TaskKey>](repeating: Deque(), count: JobPriority.allCases.count)
    /// Tasks held back until their job's setup has finished.
    var waitingForSetup: [JobID: [TaskKey]] = [:]
    var running: [Int32: RunningProcess] = [:]
    var pidByTask: [TaskKey: Int32] = [:]
    var busySlots = 0
    var batch = StoreBatch()
    var pendingEvents: [EventBody] = []
    /// The number the commit queue will give the last event handed to it so far.
    private var handedOverSeq: UInt64
    let commits: CommitQueue
    var shuttingDown = false
    private var ticker: Task<Void, Never>?

    init(configuration: SchedulerConfiguration, store: Store, snapshot: Store.Snapshot, hub: EventHub, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.logger = logger
        commits = CommitQueue(store: store, hub: hub, lastSeq: snapshot.lastSeq, logger: logger)
        handedOverSeq = snapshot.lastSeq
        for job in snapshot.jobs {
            jobs[job.id] = job
            jobOrder.append(job.id)
            nextJobID = max(nextJobID, job.id + 1)
        }
    }

    /// Connects the backend and consumes its exits; separate from `init` because the backend
    /// needs the exit stream's continuation.
    func attach(_ backend: any Backend, exits: AsyncStream<ProcessExit>) {
        self.backend = backend
        Task { [weak self] in
            for await exit in exits {
                await self?.processExited(exit)
            }
        }
    }

    // MARK: Recording changes

    /// Moves a task to `status` through the one transition function, keeping counts, the
    /// batch and the event stream in step. `update` fills in the fields that go with the move.
    @discardableResult
    func move(_ key: TaskKey, to status: TaskStatus, _ update: (inout TaskState) -> Void = { _ in }) -> Bool {
        guard var task = jobs[key.job]?.tasks[key.task] else { return false }
        let previous = task.status
        do {
            task.status = try previous.moved(to: status)
        } catch {
            logger.error("\(error) for task \(key.job)/\(key.task)")
            return false
        }
        update(&task)
        jobs[key.job]!.tasks[key.task] = task
        jobs[key.job]!.counts[previous.rawValue] -= 1
        jobs[key.job]!.counts[status.rawValue] += 1
        batch.tasks[key] = task
        pendingEvents.append(.taskStatusChanged(TaskStatusChange(
            jobID: key.job, taskID: key.task, name: task.displayName, previous: previous, status: status,
            pid: task.pid, attempts: task.attempts, exitCode: task.exitCode, signal: task.signal,
            exceptionType: task.exception?.type, cancellationReason: task.cancellationReason)))
        return true
    }

    /// Changes a task's fields without changing its status.
    func modify(_ key: TaskKey, propertiesChanged: Bool = false, _ update: (inout TaskState) -> Void) {
        guard jobs[key.job] != nil, key.task < jobs[key.job]!.tasks.count else { return }
        update(&jobs[key.job]!.tasks[key.task])
        batch.tasks[key] = jobs[key.job]!.tasks[key.task]
        if propertiesChanged { batch.propertiesChanged.insert(key) }
    }

    func markJobChanged(_ id: JobID) {
        if let job = jobs[id], !batch.newJobs.contains(where: { $0.id == id }) { batch.jobs[id] = job }
    }

    /// Hands every change made since the last flush to the commit queue, which writes them
    /// (one transaction) and only then publishes their events.
    func flush() {
        guard !batch.isEmpty || !pendingEvents.isEmpty else { return }
        // Properties are written from the task's state at this point.
        for key in batch.propertiesChanged where batch.tasks[key] == nil {
            batch.tasks[key] = jobs[key.job]?.tasks[key.task]
        }
        commits.enqueue(batch, events: pendingEvents, at: Date())
        handedOverSeq += UInt64(pendingEvents.count)
        batch = StoreBatch()
        pendingEvents.removeAll(keepingCapacity: true)
    }

    /// The number of the event that describes the state in memory right now: the commit queue
    /// numbers events one by one in the order they are handed over, so a snapshot taken in
    /// this actor turn reflects exactly the events up to here, committed yet or not.
    var stateSeq: UInt64 { handedOverSeq + UInt64(pendingEvents.count) }

    // MARK: Ticking

    /// Starts the periodic check of channels, deadlines and kills while anything runs.
    func ensureTicker() {
        guard ticker == nil, !running.isEmpty else { return }
        let interval = configuration.tickInterval
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, await self.tick() else { break }
            }
        }
    }

    /// One check of every running process; returns false when nothing runs any more.
    func tick() -> Bool {
        let now = ContinuousClock.now
        for (pid, process) in running {
            if case .task(let key) = process.kind {
                readChannel(pid: pid, key: key, final: false)
            }
            if let deadline = process.deadline, now >= deadline, !process.timedOut, process.cancel == nil {
                running[pid]?.timedOut = true
                backend.signal(pid, SIGKILL)
            }
            if let killAt = process.killAt, now >= killAt {
                running[pid]?.killAt = nil
                backend.signal(pid, SIGKILL)
            }
        }
        flush()
        if running.isEmpty {
            ticker = nil
            return false
        }
        return true
    }

    /// Applies what a task wrote to its channel since the last read.
    func readChannel(pid: Int32, key: TaskKey, final: Bool) {
        guard var reader = running[pid]?.channel else { return }
        let records = reader.read(final: final)
        running[pid]?.channel = reader
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
                pendingEvents.append(.taskProgress(TaskProgressUpdate(jobID: key.job, taskID: key.task, progress: progress)))
            case .failure(let problem):
                warn(key, "channel: \(problem.message)")
            }
        }
    }

    /// Records a problem on the task for people to see; a flood is cut short.
    func warn(_ key: TaskKey, _ message: String) {
        guard let task = jobs[key.job]?.tasks[key.task], task.warnings.count < Self.maxWarnings else { return }
        let text = task.warnings.count == Self.maxWarnings - 1 ? "further warnings suppressed" : message
        modify(key) { $0.warnings.append(text) }
        pendingEvents.append(.taskWarning(TaskWarning(jobID: key.job, taskID: key.task, message: text)))
    }

    static let maxWarnings = 20
}
