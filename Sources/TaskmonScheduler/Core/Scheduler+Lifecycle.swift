import Foundation
import TaskmonKit

extension Scheduler {
    /// After a crash: tasks the last scheduler left ASSIGNED or RUNNING were interrupted
    /// (and are queued again within their limit); CANCELING ones are canceled; waiting ones
    /// go back in the queue in their order.
    func recover() {
        var recovered = 0
        for id in jobOrder {
            guard let job = jobs[id] else { continue }
            if job.setup == .running {
                jobs[id]?.setup = .pending
                markJobChanged(id)
            }
            for task in job.tasks {
                switch task.status {
                case .assigned, .running:
                    if let pid = task.pid { killOrphan(pid: pid, key: task.key) }
                    move(task.key, to: .interrupted) {
                        $0.finishedAt = Date()
                        $0.exception = TaskException(type: "Interrupted", message: "the scheduler stopped while the task was \(task.status.name)")
                    }
                    requeueIfRetriesLeft(task.key)
                    recovered += 1
                case .canceling:
                    if let pid = task.pid { killOrphan(pid: pid, key: task.key) }
                    move(task.key, to: .canceled) { $0.finishedAt = Date() }
                    recovered += 1
                case .submitted:
                    queues[job.priority.rawValue].append(task.key)
                default:
                    break
                }
            }
            completeJobIfDone(id)
        }
        if recovered > 0 { logger.notice("recovered \(recovered) task(s) left unfinished by the last scheduler") }
        flush()
        dispatch()
    }

    /// A task process may outlive a crashed scheduler; kill its group, but only when the
    /// process is still that task (its environment names it), never an unrelated reused pid.
    private func killOrphan(pid: Int32, key: TaskKey) {
        guard let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return }
        let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard variables.contains("\(TaskEnvironment.jobID)=\(key.job)"),
              variables.contains("\(TaskEnvironment.taskID)=\(key.task)") else { return }
        kill(-pid, SIGKILL)
    }

    /// Stops dispatching, asks every running process to stop and waits up to the grace period;
    /// what was running is INTERRUPTED and queued again for the next start.
    func shutdown() async {
        shuttingDown = true
        for (pid, _) in running {
            running[pid]?.shutdownRequested = true
            backend.signal(pid, SIGTERM)
        }
        flush()
        let deadline = ContinuousClock.now + configuration.cancelGracePeriod
        while !running.isEmpty && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for (pid, _) in running { backend.signal(pid, SIGKILL) }
        let killDeadline = ContinuousClock.now + .seconds(2)
        while !running.isEmpty && ContinuousClock.now < killDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        flush()
        await commits.flushed()
    }
}
