import Foundation
import TaskmonKit

extension Scheduler {
    /// A process we started has ended: decide the task's status from how, and move on.
    func processExited(_ exit: ProcessExit) {
        guard let process = running[exit.pid] else {
            logger.debug("exit of unknown pid \(exit.pid)")
            return
        }
        // The last lines a task wrote before it exited, while its reader is still registered.
        if case .task(let key) = process.kind { readChannel(pid: exit.pid, key: key, final: true) }
        running[exit.pid] = nil
        switch process.kind {
        case .task(let key):
            busySlots -= 1
            pidByTask[key] = nil
            taskExited(key, pid: exit.pid, process: process, termination: exit.termination)
        case .setup(let id, let trigger):
            busySlots -= 1
            setupExited(id, trigger: trigger, termination: exit.termination)
        case .teardown(let id):
            if exit.termination != .exited(0) {
                let stderr = tail(of: environmentSpool(id, .teardown) + ".stderr", bytes: 500).trimmingCharacters(in: .whitespacesAndNewlines)
                warnJob(id, "teardown \(Self.describe(exit.termination))" + (stderr.isEmpty ? "" : ": \(stderr)"))
            }
        }
        dispatch()
    }

    private func taskExited(_ key: TaskKey, pid: Int32, process: RunningProcess, termination: ProcessTermination) {
        guard let job = jobs[key.job], let task = job.tasks[key.task] as TaskState? else { return }
        let now = Date()
        func record(_ state: inout TaskState) {
            state.finishedAt = now
            switch termination {
            case .exited(let code): state.exitCode = code
            case .signaled(let signal): state.signal = signal
            }
        }
        if let cancel = process.cancel {
            move(key, to: .canceled) {
                record(&$0)
                $0.cancellationMessage = cancel.message
                $0.cancellationReason = cancel.reason
            }
            taskFinished(key, status: .canceled)
            return
        }
        if process.shutdownRequested {
            // Stopped by our own shutdown, not by a fault of the task: it runs again on the
            // next start without using up a retry.
            move(key, to: .interrupted) {
                record(&$0)
                $0.exception = TaskException(type: "Interrupted", message: "the scheduler shut down while the task ran")
            }
            move(key, to: .submitted) { $0.resetForNewAttempt() }
            return
        }
        if process.timedOut {
            let limit = job.taskTimeout.map { Self.formatSeconds($0) } ?? "?"
            move(key, to: .timedOut) {
                record(&$0)
                $0.exception = TaskException(
                    type: "TimeoutError", message: "ran longer than the job's task timeout of \(limit); killed")
            }
            taskFinished(key, status: .timedOut)
            return
        }
        switch termination {
        case .exited(0) where task.status == .running:
            move(key, to: .completed) { record(&$0) }
            taskFinished(key, status: .completed)
        case .exited(let code):
            let stderrTail = tail(of: outputPath(task, .stderr))
            move(key, to: .failed) {
                record(&$0)
                if $0.exception == nil {
                    $0.exception = TaskException(type: "ExitStatus", message: "exited with status \(code)", trace: stderrTail)
                }
            }
            taskFinished(key, status: .failed)
        case .signaled(let signal):
            // Shutting down or not, a signal the task did not ask for is a system fault.
            let exception = TaskException(type: "Interrupted", message: "killed by signal \(signal) (\(Self.signalName(signal)))")
            move(key, to: .interrupted) {
                record(&$0)
                $0.exception = exception
            }
            requeueIfRetriesLeft(key)
        }
    }

    /// An INTERRUPTED task goes back in the queue while its job allows more retries.
    func requeueIfRetriesLeft(_ key: TaskKey) {
        guard let job = jobs[key.job], let task = job.tasks[key.task] as TaskState? else { return }
        guard task.interruptedRetryAttempts < job.maxInterruptedRetries else {
            taskFinished(key, status: .interrupted)
            return
        }
        move(key, to: .submitted) {
            $0.interruptedRetryAttempts += 1
            $0.resetForNewAttempt()
        }
        queues[job.priority.rawValue].append(key)
    }

    /// After a task reaches a final status: consequential cancels, job completion.
    func taskFinished(_ key: TaskKey, status: TaskStatus) {
        guard let job = jobs[key.job] else { return }
        if status == .failed && job.cancelOnTaskFailure {
            let task = job.tasks[key.task]
            cancelTasks(
                of: key.job, only: nil, except: key,
                message: "Canceled because task \(key.task) (\(task.displayName)) failed", reason: .consequential)
        }
        completeJobIfDone(key.job)
    }

    func completeJobIfDone(_ id: JobID) {
        guard var job = jobs[id], job.finishedAt == nil, job.allFinal else { return }
        job.finishedAt = Date()
        jobs[id] = job
        markJobChanged(id)
        pendingEvents.append(.jobCompleted(job.info(includeTasks: false)))
        let anythingStarted = job.setup != .pending || job.tasks.contains { $0.attempts > 0 }
        if anythingStarted { startTeardown(id) }
    }

    private func setupExited(_ id: JobID, trigger: TaskKey, termination: ProcessTermination) {
        guard termination == .exited(0) else {
            setupFailed(id, exception: TaskException(
                type: "EnvironmentSetupError",
                message: "environment setup \(Self.describe(termination))",
                trace: tail(of: environmentSpool(id, .setup) + ".stderr")))
            return
        }
        jobs[id]?.setup = .succeeded
        markJobChanged(id)
        // The task that waited for setup goes first, then the rest, ahead of other jobs' tasks
        // of the same priority (they were in line before them).
        var release = waitingForSetup.removeValue(forKey: id) ?? []
        // The setup's slot, just freed, passes to the task it ran for.
        if jobs[id]?.tasks[trigger.task].status == .assigned { start(trigger) }
        release.reverse()
        if let priority = jobs[id]?.priority {
            for key in release { queues[priority.rawValue].prepend(key) }
        }
    }

    /// Every unfinished task of the job becomes ENVIRONMENT_ERROR and never runs.
    func setupFailed(_ id: JobID, exception: TaskException) {
        jobs[id]?.setup = .failed
        markJobChanged(id)
        waitingForSetup[id] = nil
        let spool = environmentSpool(id, .setup)
        guard let job = jobs[id] else { return }
        let now = Date()
        for task in job.tasks where task.status == .submitted || task.status == .assigned {
            move(task.key, to: .environmentError) {
                $0.exception = exception
                $0.finishedAt = now
                $0.outputPrefix = spool
            }
        }
        completeJobIfDone(id)
    }

    /// Records a problem of the whole job, for people to see (`taskmon show JOB`).
    func warnJob(_ id: JobID, _ message: String) {
        logger.warning("job \(id): \(message)")
        guard let count = jobs[id]?.warnings.count, count < Self.maxWarnings else { return }
        jobs[id]?.warnings.append(message)
        markJobChanged(id)
    }

    // MARK: Helpers

    /// Where a task's stream lives: its own folder, or its job's setup folder after an environment error.
    func outputPath(_ task: TaskState, _ stream: OutputStreamName) -> String {
        let spool = task.outputPrefix ?? configuration.stateDirectory.taskSpool(job: task.jobID, task: task.index)
        return spool + "." + stream.rawValue
    }

    /// The last lines of a file (at most 4 KiB), for exception traces.
    func tail(of path: String, bytes: Int = 4096) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_size > 0 else { return "" }
        let start = max(0, Int64(info.st_size) - Int64(bytes))
        var buffer = [UInt8](repeating: 0, count: Int(Int64(info.st_size) - start))
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard n > 0 else { return "" }
        var text = String(decoding: buffer[0..<n], as: UTF8.self)
        if start > 0, let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        return text
    }

    static func describe(_ termination: ProcessTermination) -> String {
        switch termination {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "was killed by signal \(signal) (\(signalName(signal)))"
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGSEGV: "SIGSEGV"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))s" : String(format: "%.3gs", seconds)
    }
}
