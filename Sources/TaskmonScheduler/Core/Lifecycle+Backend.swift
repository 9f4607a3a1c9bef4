import Foundation
import TaskmonKit

/// What a cluster backend (Slurm) reports beyond a local one: a launch waiting in its queue, a
/// run cancelled by someone else, a node that could not start it; and the adoption, after a
/// restart, of runs that went on without the scheduler.
extension Lifecycle {
    mutating func applyClusterReport(_ report: BackendReport) {
        switch report {
        case .queued(let handle, let detail, let reason, let lasting, let at):
            queued(handle, detail, reason: reason, lasting: lasting, at: at)
        case .canceledOutside(let handle, let message, let at):
            canceledOutside(handle, message: message, at: at)
        case .environmentUnavailable(let handle, let message, let at):
            environmentUnavailable(handle, message: message, at: at)
        default:
            break
        }
    }

    /// The launch waits in the backend's queue: the task keeps where it is (for adoption after
    /// a restart) and why it waits.
    private mutating func queued(_ handle: RunHandle, _ detail: RunDetail, reason: String?, lasting: Bool, at now: Moment) {
        guard let run = runs[handle], run.startedAt == nil else { return }
        updateRun(handle) { $0.detail = detail }
        guard case .task(let key) = run.purpose, let task = task(key), task.status == .assigned || task.status == .canceling else { return }
        if task.runDetail != detail || task.message != reason {
            modify(key) {
                $0.runDetail = detail
                $0.host = detail.place ?? detail.backendID
                $0.message = reason
            }
        }
        if lasting, let reason { warn(key, reason) }
    }

    /// Ended by someone outside taskmon: CANCELED, with a message saying so.
    private mutating func canceledOutside(_ handle: RunHandle, message: String, at now: Moment) {
        guard let run = endRun(handle) else { return }
        switch run.purpose {
        case .task(let key):
            guard let task = task(key) else { break }
            if task.status == .running || task.status == .assigned {
                if task.status == .running {
                    move(key, to: .canceling) {
                        $0.cancellationMessage = message
                        $0.cancellationReason = .direct
                    }
                }
                move(key, to: .canceled) {
                    $0.finishedAt = now.wall
                    $0.cancellationMessage = message
                    $0.cancellationReason = .direct
                }
                taskFinished(key, status: .canceled, at: now)
            } else if task.status == .canceling {
                // Canceled in taskmon too: taskmon's message stands.
                move(key, to: .canceled) { $0.finishedAt = now.wall }
                taskFinished(key, status: .canceled, at: now)
            }
        case .setup(let id):
            setupTrigger[id] = nil
            setupFailed(id, exception: TaskException(type: "EnvironmentSetupError", message: "environment setup: \(message)"), at: now)
        case .teardown(let id):
            teardownEnded(id, EnvironmentStepEnd(problem: message))
            warnJob(id, "teardown: \(message)")
        }
        dispatch(at: now)
    }

    /// The backend could not start the run where it was sent: ENVIRONMENT_ERROR, never ran.
    private mutating func environmentUnavailable(_ handle: RunHandle, message: String, at now: Moment) {
        guard let run = endRun(handle) else { return }
        switch run.purpose {
        case .task(let key):
            switch task(key)?.status {
            case .assigned:
                move(key, to: .environmentError) {
                    $0.finishedAt = now.wall
                    $0.exception = TaskException(type: "EnvironmentError", message: message)
                    $0.message = nil
                }
                completeJobIfDone(key.job, at: now)
            case .canceling:
                move(key, to: .canceled) { $0.finishedAt = now.wall }
                taskFinished(key, status: .canceled, at: now)
            default:
                break
            }
        case .setup(let id):
            setupTrigger[id] = nil
            setupFailed(id, exception: TaskException(type: "EnvironmentSetupError", message: "environment setup: \(message)"), at: now)
        case .teardown(let id):
            teardownEnded(id, EnvironmentStepEnd(problem: message))
            warnJob(id, "teardown: \(message)")
        }
        dispatch(at: now)
    }

    // MARK: Adoption after a restart

    /// Tasks the last scheduler left ASSIGNED or RUNNING with a backend id: the backend may still
    /// follow them. Each comes with the request its run was launched with.
    func adoptionCandidates() -> [(TaskKey, RunDetail, LaunchRequest)] {
        var candidates: [(TaskKey, RunDetail, LaunchRequest)] = []
        for id in jobOrder {
            guard let job = jobs[id] else { continue }
            for task in job.tasks where task.status == .assigned || task.status == .running {
                guard let detail = task.runDetail, detail.backendID != nil, let request = taskRequest(task.key) else { continue }
                candidates.append((task.key, detail, request))
            }
        }
        return candidates
    }

    /// Makes the run of an adopted task: started when the task was RUNNING (its deadline
    /// counts from its recorded start), pending otherwise.
    mutating func adoptRun(_ key: TaskKey, _ detail: RunDetail, at now: Moment) -> RunHandle {
        let handle = newHandle()
        var run = Run(purpose: .task(key), detail: detail, holdsSlot: true, stderrPath: outputPath(task(key)!, .stderr))
        run.claim = claim(for: key)
        if let task = task(key), task.status == .running {
            let startedWall = task.startedAt ?? now.wall
            let started = now + .nanoseconds(Int64(min(0, startedWall.timeIntervalSince(now.wall)) * 1e9))
            run.startedAt = started
            run.deadline = jobs[key.job]?.taskTimeout.map { started + Self.duration(seconds: $0) }
        }
        addRun(handle, run)
        return handle
    }

    /// The backend would not take the run back: recovery treats the task as interrupted.
    mutating func abandonAdoption(_ handle: RunHandle) {
        _ = endRun(handle)
    }
}
