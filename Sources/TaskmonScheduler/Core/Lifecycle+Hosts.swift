import Foundation
import TaskmonKit

/// Python tasks in warm hosts: what a launch tells the host pool, and a host whose
/// environment setup failed.
extension Lifecycle {
    /// Copies the spec's hosting (the job's ``HostSpec``, each task's pickle) into the new job.
    func attachHosting(_ spec: JobSpec, to job: inout JobState) {
        job.host = spec.host
        for (index, task) in spec.tasks.enumerated() where task.python != nil {
            job.tasks[index].python = task.python
        }
    }

    /// What the host pool needs to run `task` in a warm host; nil for a command task.
    func hostLaunch(_ job: JobState, _ task: TaskState) -> HostLaunch? {
        guard let payload = task.python else { return nil }
        let host = job.host ?? HostSpec()
        let idle = host.idleTimeout ?? (host.uniqueID == nil ? HostSpec.defaultJobIdleTimeout : HostSpec.defaultSharedIdleTimeout)
        return HostLaunch(
            interpreter: host.interpreter, environmentPayload: host.environment, uniqueID: host.uniqueID,
            idleTimeout: Self.duration(seconds: idle), taskPayload: payload,
            setupSpool: environmentSpool(job.id, .setup), teardownSpool: environmentSpool(job.id, .teardown), job: job.id)
    }

    /// A run asked to end while its launch is still pending (a host starting or setting up, which
    /// may take as long as `setup()` likes): ended at once, since nothing of the task has run yet.
    /// Its end comes back as the run's exit, which the end request then decides (CANCELED, or
    /// queued again after a shutdown).
    mutating func endPendingLaunch(_ handle: RunHandle) {
        effects.append(.signal(handle, SIGKILL))
    }

    /// A host's `setup()` raised while it prepared to run a task of the job: every unfinished
    /// task of the job is ENVIRONMENT_ERROR with that exception (its output: the setup's), and
    /// other hosts still setting up for the job are not needed any more.
    mutating func environmentFailed(_ handle: RunHandle, _ exception: TaskException, at now: Moment) {
        guard let run = runs[handle] else { return }
        let id = run.purpose.jobID
        if case .task(let key) = run.purpose, task(key)?.status == .canceling {
            // Canceled while its host was setting up: it ends CANCELED, as any canceled run.
            apply(.exited(handle, .signaled(SIGKILL), at: now, outputComplete: true))
        } else {
            _ = endRun(handle)
        }
        setupFailed(id, exception: exception, at: now)
        for (other, pending) in runs where pending.purpose.jobID == id && pending.startedAt == nil {
            if case .task(let key) = pending.purpose, task(key)?.status == .environmentError {
                _ = endRun(other)
                effects.append(.signal(other, SIGKILL))
            }
        }
        dispatch(at: now)
    }
}
