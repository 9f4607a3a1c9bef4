import Foundation
import TaskmonKit

/// A request the scheduler cannot carry out as asked.
struct SchedulerRequestError: Error, CustomStringConvertible {
    var code: RPCErrorCode
    var description: String
}

extension Scheduler {
    /// Cancels a job (all its unfinished tasks) or one task, on behalf of `user`.
    func cancel(job id: JobID, task index: TaskIndex?, message: String?, user: String) throws(SchedulerRequestError) -> CancelResult {
        guard let job = jobs[id] else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        if let index, index < 0 || index >= job.tasks.count {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(job.tasks.count))")
        }
        var text = "Canceled by \(user)"
        if let message, !message.isEmpty { text += ": \(message)" }
        let count = cancelTasks(of: id, only: index, except: nil, message: text, reason: .direct)
        dispatch()
        return CancelResult(canceled: count)
    }

    /// Cancels unfinished tasks: queued ones at once, running ones through CANCELING.
    @discardableResult
    func cancelTasks(of id: JobID, only: TaskIndex?, except: TaskKey?, message: String, reason: CancellationReason) -> Int {
        guard let job = jobs[id] else { return 0 }
        let indices = only.map { [$0] } ?? Array(job.tasks.indices)
        var count = 0
        let now = Date()
        for index in indices {
            let key = TaskKey(job: id, task: index)
            guard key != except, let task = jobs[id]?.tasks[index] else { continue }
            switch task.status {
            case .notSubmitted, .submitted:
                move(key, to: .canceled) {
                    $0.cancellationMessage = message
                    $0.cancellationReason = reason
                    $0.finishedAt = now
                }
                count += 1
            case .interrupted where !job.isFinal(task), .assigned where pidByTask[key] == nil:
                // Between attempts, or waiting for its job's setup: nothing of its own runs.
                move(key, to: .canceled) {
                    $0.cancellationMessage = message
                    $0.cancellationReason = reason
                    $0.finishedAt = now
                }
                count += 1
            case .running, .assigned:
                guard let pid = pidByTask[key] else { continue }
                move(key, to: .canceling)
                running[pid]?.cancel = (message, reason)
                running[pid]?.killAt = ContinuousClock.now + configuration.cancelGracePeriod
                backend.signal(pid, SIGTERM)
                count += 1
            default:
                continue
            }
        }
        completeJobIfDone(id)
        // A canceled job whose setup still runs does not need it any more.
        if only == nil, jobs[id]?.setup == .running {
            for (pid, process) in running {
                if case .setup(let setupJob, _) = process.kind, setupJob == id { backend.signal(pid, SIGKILL) }
            }
        }
        ensureTicker()
        return count
    }

    /// Queues a final task again, as a new attempt.
    func retry(job id: JobID, task index: TaskIndex) throws(SchedulerRequestError) {
        guard var job = jobs[id] else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        guard index >= 0, index < job.tasks.count else {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(job.tasks.count))")
        }
        let task = job.tasks[index]
        guard job.isFinal(task) else {
            throw SchedulerRequestError(
                code: .illegalState, description: "task \(id)/\(index) is \(task.status.name); only a finished task can be retried")
        }
        // The job runs again: its environment is set up anew and torn down after.
        if job.finishedAt != nil || job.setup == .failed {
            job.finishedAt = nil
            job.teardownStarted = false
            if job.setup != .running { job.setup = .pending }
            jobs[id] = job
            markJobChanged(id)
        }
        let key = TaskKey(job: id, task: index)
        move(key, to: .submitted) {
            $0.resetForNewAttempt()
            $0.interruptedRetryAttempts = 0
            $0.submittedAt = Date()
        }
        queues[job.priority.rawValue].append(key)
        dispatch()
    }
}
