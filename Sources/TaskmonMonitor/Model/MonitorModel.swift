import Foundation
import TaskmonKit

/// Everything the monitor knows about the scheduler: a pure reducer over snapshots and events.
///
/// Owned by the UI thread. Each piece of news carries the number of the last event it reflects
/// (snapshots their `last_seq`, events their `seq`), and the model keeps, per job and per task,
/// the number it is at: older news is ignored, so snapshots and events can arrive in any order
/// and nothing is counted twice.
package struct MonitorModel: Sendable {
    package private(set) var connection: ConnectionState = .connecting
    /// The scheduler's greeting: pid, state dir, slots.
    package private(set) var hello: HelloResult?
    /// The scheduler's last status answer: its backend, and what keeps it from working.
    package private(set) var schedulerStatus: SchedulerStatus?
    package private(set) var jobs: [JobID: JobRecord] = [:]
    /// Jobs in submission order.
    package private(set) var jobOrder: [JobID] = []
    /// Tasks per status over all jobs, indexed by `TaskStatus.rawValue`.
    package private(set) var totals = [Int](repeating: 0, count: TaskStatus.allCases.count)
    /// The newest event number seen.
    package private(set) var lastSeq: UInt64 = 0
    /// Grows by one with every change that can alter what is on screen.
    package private(set) var revision: UInt64 = 0
    /// Tasks whose status, progress or warnings changed since the last ``takeChangedTasks()``:
    /// an open task detail refetches when its task is among them.
    package private(set) var changedTasks: Set<TaskRef> = []
    /// Events for jobs whose task list is being fetched, replayed once it arrives.
    private var heldForTaskLoad: [JobID: [SchedulerEvent]] = [:]

    package init() {}

    // MARK: Connection

    /// A fresh view of the scheduler after (re)connecting: replaces everything known.
    package mutating func connected(hello: HelloResult, jobs list: JobList) {
        let seq = list.lastSeq ?? 0
        connection = .connected
        self.hello = hello
        jobs = [:]
        jobOrder = []
        totals = [Int](repeating: 0, count: TaskStatus.allCases.count)
        heldForTaskLoad = [:]
        for info in list.jobs {
            insert(JobRecord(info, seq: seq))
        }
        lastSeq = max(lastSeq, seq)
        // Task lists loaded before the reconnect are gone with the old records; the screens
        // ask for them again.
        changedTasks = []
        revision &+= 1
    }

    /// A status answer: shown in the header.
    package mutating func received(status: SchedulerStatus) {
        guard status != schedulerStatus else { return }
        schedulerStatus = status
        revision &+= 1
    }

    /// A job's facts fetched afresh. Only what no event carries is taken (setup, teardown,
    /// warnings, backend): the counts follow the events, which may be ahead of this answer.
    package mutating func refreshed(job info: JobInfo) {
        guard var record = jobs[info.id] else { return }
        record.info.setup = info.setup
        record.info.teardown = info.teardown
        record.info.warnings = info.warnings
        record.info.backend = info.backend ?? record.info.backend
        guard record != jobs[info.id] else { return }
        jobs[info.id] = record
        revision &+= 1
    }

    /// The scheduler went away; everything stays on screen as last known.
    package mutating func disconnected(reason: String) {
        connection = .reconnecting(reason: reason)
        heldForTaskLoad = [:]
        revision &+= 1
    }

    // MARK: Task lists

    /// Notes that a job's task list was asked for: events for it are held until it arrives.
    package mutating func taskLoadStarted(_ job: JobID) {
        if heldForTaskLoad[job] == nil { heldForTaskLoad[job] = [] }
    }

    /// Whether the job's task list is being fetched.
    package func isLoadingTasks(_ job: JobID) -> Bool { heldForTaskLoad[job] != nil }

    /// Installs a job's tasks, fetched as pages (each a `get_job` answer with its own `last_seq`).
    /// Events held since the load started are replayed once the last page is in (`complete`):
    /// before that, an event for a task whose page has not come yet would have no row to go to.
    package mutating func installTasks(_ job: JobID, pages: [JobInfo], complete: Bool = true) {
        guard var record = jobs[job] else { return }
        var rows = record.tasks ?? []
        for page in pages {
            let seq = page.lastSeq ?? 0
            if seq > record.seq {
                replaceCounts(of: &record, with: page, seq: seq)
            }
            // Pages come as list rows (`rows_only`) or, from older schedulers, whole tasks.
            let pageRows = page.taskRows.map { $0.map { TaskRow($0, seq: seq) } } ?? (page.tasks ?? []).map { TaskRow($0, seq: seq) }
            for row in pageRows {
                if row.id < rows.count {
                    if rows[row.id].seq < seq { rows[row.id] = row }
                } else if row.id == rows.count {
                    rows.append(row)
                }
            }
        }
        for row in rows {
            if let started = row.info.startedAt, record.firstStartedAt.map({ started < $0 }) ?? true {
                record.firstStartedAt = started
            }
            if row.info.status == .running || row.info.status == .canceling, let progress = row.info.progress {
                record.runningPercent[row.id] = progress.percent
            }
        }
        record.tasks = rows
        record.rowsRevision &+= 1
        jobs[job] = record
        revision &+= 1
        guard complete else { return }
        for event in heldForTaskLoad.removeValue(forKey: job) ?? [] {
            applyToRows(event)
        }
    }

    /// Forgets a job's task list (the tasks screen closed): memory for big jobs comes back.
    package mutating func dropTasks(_ job: JobID) {
        jobs[job]?.tasks = nil
        heldForTaskLoad[job] = nil
    }

    /// Returns and clears the set of tasks that changed.
    package mutating func takeChangedTasks() -> Set<TaskRef> {
        defer { changedTasks = [] }
        return changedTasks
    }

    // MARK: Events

    package mutating func apply(_ events: [SchedulerEvent]) {
        for event in events { apply(event) }
    }

    package mutating func apply(_ event: SchedulerEvent) {
        lastSeq = max(lastSeq, event.seq)
        switch event.body {
        case .jobSubmitted(let info):
            if let record = jobs[info.id] {
                guard event.seq > record.seq else { return }
                var updated = record
                replaceCounts(of: &updated, with: info, seq: event.seq)
                jobs[info.id] = updated
            } else {
                insert(JobRecord(info, seq: event.seq))
            }
        case .jobCompleted(let info):
            guard var record = jobs[info.id], event.seq > record.seq else { return }
            replaceCounts(of: &record, with: info, seq: event.seq)
            jobs[info.id] = record
        case .taskStatusChanged(let change):
            // In place, never through a copy of the record: a copy alive while the rows
            // change would make every event copy the job's whole task array.
            guard let seq = jobs[change.jobID]?.seq else { return }
            if event.seq > seq {
                moveCount(change.jobID, from: change.previous, to: change.status)
                jobs[change.jobID]!.seq = event.seq
                noteRun(change, at: event.time)
            }
            changedTasks.insert(TaskRef(jobID: change.jobID, taskID: change.taskID))
            applyToRows(event)
        case .taskProgress(let update):
            changedTasks.insert(TaskRef(jobID: update.jobID, taskID: update.taskID))
            if jobs[update.jobID] != nil { jobs[update.jobID]!.runningPercent[update.taskID] = update.progress.percent }
            applyToRows(event)
        case .taskWarning(let warning):
            changedTasks.insert(TaskRef(jobID: warning.jobID, taskID: warning.taskID))
        }
        revision &+= 1
    }

    /// Brings a loaded task row up to date, or holds the event while its job's tasks load.
    private mutating func applyToRows(_ event: SchedulerEvent) {
        let job: JobID
        let task: TaskIndex
        switch event.body {
        case .taskStatusChanged(let change): (job, task) = (change.jobID, change.taskID)
        case .taskProgress(let update): (job, task) = (update.jobID, update.taskID)
        default: return
        }
        if heldForTaskLoad[job] != nil {
            heldForTaskLoad[job]!.append(event)
            return
        }
        guard jobs[job]?.tasks != nil, task >= 0, task < jobs[job]!.tasks!.count,
              jobs[job]!.tasks![task].seq < event.seq else { return }
        switch event.body {
        case .taskStatusChanged(let change):
            jobs[job]!.tasks![task].apply(change, at: event.time)
        case .taskProgress(let update):
            jobs[job]!.tasks![task].info.progress = update.progress
        default:
            break
        }
        jobs[job]!.tasks![task].seq = event.seq
        jobs[job]!.rowsRevision &+= 1
        revision &+= 1
    }

    /// What a status change tells about the job as a whole (see ``JobRecord/note(_:at:)``),
    /// in place: one lookup, no copy of the record.
    private mutating func noteRun(_ change: TaskStatusChange, at time: Date) {
        guard let index = jobs.index(forKey: change.jobID) else { return }
        jobs.values[index].note(change, at: time)
    }

    // MARK: Counting

    private mutating func insert(_ record: JobRecord) {
        jobs[record.id] = record
        jobOrder.append(record.id)
        for index in totals.indices { totals[index] += record.counts[index] }
    }

    private mutating func replaceCounts(of record: inout JobRecord, with info: JobInfo, seq: UInt64) {
        let counts = TaskStatus.allCases.map { info.count($0) }
        for index in totals.indices { totals[index] += counts[index] - record.counts[index] }
        let tasks = record.tasks
        record.info = info
        record.info.tasks = nil
        record.info.taskRows = nil
        record.tasks = tasks
        record.counts = counts
        record.seq = seq
        if record.hasStarted { record.ranSomething = true }
    }

    private mutating func moveCount(_ job: JobID, from old: TaskStatus, to new: TaskStatus) {
        guard old != new else { return }
        if jobs[job]!.counts[old.rawValue] > 0 {
            jobs[job]!.counts[old.rawValue] -= 1
            totals[old.rawValue] -= 1
        }
        jobs[job]!.counts[new.rawValue] += 1
        totals[new.rawValue] += 1
    }

    // MARK: Header figures

    /// Slots in use: tasks running or stopping.
    package var busySlots: Int { totals[TaskStatus.running.rawValue] + totals[TaskStatus.canceling.rawValue] }
    /// Tasks waiting for a slot.
    package var queued: Int { totals[TaskStatus.submitted.rawValue] }
}
