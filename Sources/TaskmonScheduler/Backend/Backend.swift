import Foundation
import Synchronization
import TaskmonKit

/// Runs what the scheduler decides to run, and reports back how it went.
///
/// The seam between deciding and executing. It speaks in opaque ``RunHandle``s, never pids: a
/// Slurm array element has no local pid, and a warm host runs many tasks in one process. Every
/// report carries the ``Moment`` it happened, taken from the scheduler's clock, so that a late
/// report never becomes a wrong status.
///
/// ```
/// Scheduler (reducer + actor)
///    │ launch(handle, request)      reports: started, launchFailed, exited(at), lost, outputComplete
///    ▼
/// Backend ─┬─ LocalBackend   one process per run (vfork spawn, pidfd, splice)
///          ├─ HostPool       warm hosts: setup() once per host, then many tasks
///          └─ SlurmBackend   job arrays via sbatch; one batched squeue poll; scancel
/// ```
///
/// A backend that answers `.pending` may get a signal for a run that has not started: it
/// withdraws the launch and reports `.launchFailed` (or `.exited` if it had started meanwhile).
package protocol Backend: Sendable {
    /// A short name people see (`local`, `slurm`).
    var name: String { get }

    /// Starts a run. A backend that starts it at once answers `.started`; one that needs time
    /// (a cluster) answers `.pending` and reports `.started` or `.launchFailed` later. Either
    /// way, its end arrives later as `.exited` or `.lost`. Must not block for long: it is called
    /// on the scheduler's actor.
    func launch(_ handle: RunHandle, _ request: LaunchRequest) -> LaunchOutcome

    /// Sends `signal` to everything the run started. Does nothing once the run has ended:
    /// its process group (or job id) may belong to someone else by then.
    func signal(_ handle: RunHandle, _ signal: Int32)

    /// After a restart: takes a run the last scheduler started back under a new handle, if the
    /// backend can still follow it (a Slurm job keeps running without us). Returns false when
    /// it cannot; the scheduler then treats the run as interrupted.
    func adopt(_ handle: RunHandle, _ detail: RunDetail, _ request: LaunchRequest) -> Bool

    /// Stops reporting and lets go of threads and descriptors; called once, after the last run ended
    /// or was abandoned.
    func close() async

    /// True when runs go on without the scheduler (a cluster's jobs): a shutdown then leaves
    /// them running, and the next scheduler adopts them, instead of stopping them.
    var runsOutliveScheduler: Bool { get }
}

extension Backend {
    package func adopt(_ handle: RunHandle, _ detail: RunDetail, _ request: LaunchRequest) -> Bool { false }
    package func close() async {}
    package var runsOutliveScheduler: Bool { false }
}

/// The scheduler's name for one run: a task's attempt, or a job's setup or teardown.
/// Opaque to backends, which keep their own mapping to pids or cluster job ids.
package struct RunHandle: Hashable, Sendable, CustomStringConvertible {
    package let raw: UInt64

    package init(_ raw: UInt64) {
        self.raw = raw
    }

    package var description: String { "run \(raw)" }
}

/// Where a run is, in the backend's own words: kept with the task, shown to people, and
/// handed back to ``Backend/adopt(_:_:_:)`` after a restart.
package struct RunDetail: Sendable, Equatable, Codable {
    /// The host process's pid on this machine, when there is one.
    package var pid: Int32?
    /// The backend's own id for the run (`12345_7` for a Slurm array element).
    package var backendID: String?
    /// The machine or host that runs it (a Slurm node, a warm host's pid).
    package var place: String?

    package init(pid: Int32? = nil, backendID: String? = nil, place: String? = nil) {
        self.pid = pid
        self.backendID = backendID
        self.place = place
    }
}

/// What `launch` could say at once.
package enum LaunchOutcome: Sendable {
    case started(RunDetail)
    /// Accepted; `.started` or `.launchFailed` follows as a report.
    case pending
    case failed(LaunchError)
}

/// Something that happened to a run, and when.
package enum BackendReport: Sendable {
    /// A pending launch began running (not sent for a launch that answered `.started`).
    case started(RunHandle, RunDetail, at: Moment)
    /// A pending launch could not start.
    case launchFailed(RunHandle, LaunchError, at: Moment)
    /// The run ended: `at` is when it ended (a process: when it was reaped), not when this
    /// report was made. `outputComplete` is false when something the run started still holds
    /// its output open; `.outputComplete` follows once it lets go.
    /// `usage` is what its process used, when the backend knows (a local process).
    case exited(RunHandle, ProcessTermination, at: Moment, outputComplete: Bool, usage: ResourceUsage? = nil)
    /// The backend lost the run through no fault of its own (its node failed, its host died):
    /// the task is INTERRUPTED and may run again.
    case lost(RunHandle, reason: String, at: Moment)
    /// Everything the run wrote is in its spool files.
    case outputComplete(RunHandle, at: Moment)
    /// The run's host could not set its task environment up (its `setup()` raised): the job's
    /// tasks are ENVIRONMENT_ERROR with this exception and never run.
    case environmentFailed(RunHandle, TaskException, at: Moment)
    /// A pending launch waits in the backend's queue (a cluster's): `detail` names it there (kept
    /// with the task, so that a restarted scheduler can adopt it), `reason` says in plain words
    /// why it waits (nil: nothing to say), `lasting` when that will not change by itself.
    case queued(RunHandle, RunDetail, reason: String?, lasting: Bool, at: Moment)
    /// Someone outside taskmon ended the run (a bare `scancel`): CANCELED, `message` says so.
    case canceledOutside(RunHandle, message: String, at: Moment)
    /// The place it was to run could not start it (Slurm's JobLaunchFailure): this task never
    /// ran and ends ENVIRONMENT_ERROR with `message` (the job's other tasks go on).
    case environmentUnavailable(RunHandle, message: String, at: Moment)

    package var handle: RunHandle {
        switch self {
        case .started(let handle, _, _), .launchFailed(let handle, _, _), .exited(let handle, _, _, _, _),
             .lost(let handle, _, _), .outputComplete(let handle, _), .environmentFailed(let handle, _, _),
             .queued(let handle, _, _, _, _), .canceledOutside(let handle, _, _), .environmentUnavailable(let handle, _, _):
            handle
        }
    }
}

/// Where backends post their reports; the scheduler drains it in batches, so a burst of exits
/// costs one scheduler turn (and one commit), not one each.
package final class BackendInbox: Sendable {
    private let pending = Mutex<[BackendReport]>([])
    private let wake: @Sendable () -> Void

    /// - Parameter wake: called when a report arrives in an empty inbox; it should arrange for
    ///   ``drain()`` to be called soon (it must not call it synchronously).
    package init(wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }

    /// Posts a report, from any thread.
    package func post(_ report: BackendReport) {
        let wasEmpty = pending.withLock { pending in
            pending.append(report)
            return pending.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Takes every report posted so far, in the order they were posted.
    package func drain() -> [BackendReport] {
        pending.withLock { pending in
            defer { pending.removeAll(keepingCapacity: true) }
            return pending
        }
    }
}
