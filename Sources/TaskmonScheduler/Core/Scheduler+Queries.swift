import Foundation
import TaskmonKit

extension Scheduler {
    func listJobs() -> JobList {
        JobList(jobs: jobOrder.compactMap { id in
            var info = jobs[id]?.info(includeTasks: false)
            info?.backend = backend.name
            return info
        }, lastSeq: stateSeq)
    }

    func job(_ id: JobID, includeTasks: Bool, offset: Int = 0, limit: Int? = nil, rowsOnly: Bool = false) throws(SchedulerRequestError) -> JobInfo {
        guard let job = jobs[id] else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        var info = job.info(includeTasks: false)
        info.lastSeq = stateSeq
        info.backend = backend.name
        if includeTasks {
            // Bounded before any arithmetic: a limit of Int.max must not overflow, and no
            // answer holds more than a page (the caller pages on with `task_count`).
            let start = min(max(0, offset), job.tasks.count)
            let page = min(max(0, limit ?? WireLimits.maxTaskPage), WireLimits.maxTaskPage)
            let end = start + min(page, job.tasks.count - start)
            if rowsOnly {
                info.taskRows = job.tasks[start..<end].map { TaskRowInfo($0.info()) }
            } else {
                info.tasks = job.tasks[start..<end].map { $0.info() }
            }
        }
        return info
    }

    /// The task with up to `outputCap` bytes of each output stream; with `attempt`, that earlier
    /// attempt of it as it was kept.
    func task(_ id: JobID, _ index: TaskIndex, outputCap: Int, attempt: Int? = nil) throws(SchedulerRequestError) -> TaskInfo {
        let task = try taskState(id, index)
        var info = task.info()
        var paths = (out: outputPath(task, .stdout), err: outputPath(task, .stderr))
        if let attempt {
            let record = try attemptRecord(task, attempt)
            info = record.info(current: info)
            paths = (outputPath(task, record, .stdout), outputPath(task, record, .stderr))
        } else if task.currentAttemptKept {
            // Retried and not started again: what its files still hold is the last attempt's.
            paths = ("", "")
        }
        if outputCap > 0 {
            let out = OutputFile.readHead(paths.out, cap: outputCap)
            let err = OutputFile.readHead(paths.err, cap: outputCap)
            info.standardOutput = out.text
            info.standardOutputSize = out.size
            info.standardOutputTruncated = out.truncated
            info.standardError = err.text
            info.standardErrorSize = err.size
            info.standardErrorTruncated = err.truncated
        }
        return info
    }

    /// An earlier attempt kept of the task, or a clear answer why there is none.
    func attemptRecord(_ task: TaskState, _ attempt: Int) throws(SchedulerRequestError) -> AttemptRecord {
        if let record = task.earlierAttempts.first(where: { $0.attempt == attempt }) { return record }
        let name = "task \(task.jobID)/\(task.index)"
        guard attempt >= 1, attempt <= task.attempts else {
            throw SchedulerRequestError(code: .notFound, description: "\(name) has made \(task.attempts) attempt(s); there is no attempt \(attempt)")
        }
        if attempt == task.attempts && !task.currentAttemptKept {
            throw SchedulerRequestError(code: .notFound, description: "attempt \(attempt) is \(name)'s current one: ask without an attempt")
        }
        let kept = task.earlierAttempts.map { String($0.attempt) }.joined(separator: ", ")
        throw SchedulerRequestError(
            code: .notFound,
            description: "attempt \(attempt) of \(name) is no longer kept (the last \(AttemptSummary.keptLimit) are; kept: \(kept.isEmpty ? "none" : kept))")
    }

    func taskState(_ id: JobID, _ index: TaskIndex) throws(SchedulerRequestError) -> TaskState {
        guard let job = jobs[id] else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        guard index >= 0, index < job.tasks.count else {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(job.tasks.count))")
        }
        return job.tasks[index]
    }

    /// Where a task's stream is, and whether it can still grow.
    func outputLocation(
        _ id: JobID, _ index: TaskIndex, _ stream: OutputStreamName, attempt: Int? = nil
    ) throws(SchedulerRequestError) -> (path: String, complete: Bool) {
        let task = try taskState(id, index)
        if let attempt { return (outputPath(task, try attemptRecord(task, attempt), stream), true) }
        let complete = jobs[id].map { $0.isFinal(task) } ?? true
        // Retried and not started again: nothing of the new attempt yet (its files are the last one's).
        return (task.currentAttemptKept ? "" : outputPath(task, stream), complete)
    }

    func status() -> SchedulerStatus {
        var counts = [Int](repeating: 0, count: TaskStatus.allCases.count)
        for job in jobs.values {
            for status in TaskStatus.allCases { counts[status.rawValue] += job.counts[status.rawValue] }
        }
        var named: [String: Int] = [:]
        for status in TaskStatus.allCases where counts[status.rawValue] > 0 { named[status.name] = counts[status.rawValue] }
        var status = SchedulerStatus(
            pid: getpid(), stateDirectory: configuration.stateDirectory.path, slots: configuration.slots,
            busySlots: busySlots, queued: counts[TaskStatus.submitted.rawValue], jobs: jobs.count,
            statusCounts: named, lastSeq: stateSeq, storageError: commits.storageError)
        status.backend = backend.name
        status.backendProblem = (backend as? SlurmBackend)?.problem
        return status
    }
}

/// Reads task output files by range, never whole: a task may print gigabytes.
enum OutputFile {
    /// The first `cap` bytes as text (invalid UTF-8 replaced), the file's size, and whether it was cut.
    static func readHead(_ path: String, cap: Int) -> (text: String, size: Int64, truncated: Bool) {
        let chunk = read(path, offset: 0, length: cap)
        return (String(decoding: chunk.data, as: UTF8.self), chunk.size, chunk.size > Int64(chunk.data.count))
    }

    /// Up to `length` bytes from `offset`, and the file's size now. A missing file reads as
    /// empty, and so does one a task swapped for a link, a FIFO or a device (never followed,
    /// never blocked on).
    static func read(_ path: String, offset: Int64, length: Int) -> (data: Data, size: Int64) {
        guard let file = try? SafeFile.openForReading(path) else { return (Data(), 0) }
        return (file.read(offset: offset, length: length), file.size)
    }
}
