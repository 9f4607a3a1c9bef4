import TaskmonKit

/// News from the scheduler link to the UI thread.
package enum LinkMessage: Sendable {
    /// (Re)connected: a fresh snapshot; events follow from its `last_seq`.
    case connected(HelloResult, JobList)
    case events([SchedulerEvent])
    /// The scheduler went away (or could not be reached); the link keeps trying.
    case disconnected(String)
    /// Some of a job's tasks, page by page; `complete` on the last, so a big job's first rows
    /// show while the rest are on their way.
    case tasksLoaded(JobID, [JobInfo], complete: Bool = true)
    /// One task in full (outputs left out: the Output tab reads them by range).
    case taskLoaded(TaskInfo)
    /// A request failed or finished with something to tell: shown in the footer.
    case notice(String, isError: Bool)
    /// The scheduler as a whole, polled every few seconds: its backend and what ails it.
    case status(SchedulerStatus)
    /// One job's facts afresh (no tasks): its setup and teardown, warnings, backend.
    case jobLoaded(JobInfo)
}

/// What the UI asks of the scheduler.
package enum LinkRequest: Sendable, Equatable {
    case loadTasks(JobID)
    /// One task; with `attempt`, that earlier attempt of it.
    case loadTask(JobID, TaskIndex, attempt: Int? = nil)
    case loadJob(JobID)
    case cancel(JobID, TaskIndex?, message: String?)
    case retry(JobID, TaskIndex)
    /// Several tasks (marked ones, a failure group), with one confirmation.
    case cancelTasks([TaskRef], message: String?)
    case cancelJobs([JobID], message: String?)
    case retryTasks([TaskRef])
    /// Every failed, timed-out or environment-error task of these jobs, as found when it runs.
    case retryFailed([JobID])
}
