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
            let start = min(max(0, offset), job.tasks.count)
            let end = limit.map { min(job.tasks.count, start + max(0, $0)) } ?? job.tasks.count
            if rowsOnly {
                info.taskRows = job.tasks[start..<end].map { TaskRowInfo($0.info()) }
            } else {
                info.tasks = job.tasks[start..<end].map { $0.info() }
            }
        }
        return info
    }

    /// The task with up to `outputCap` bytes of each output stream.
    func task(_ id: JobID, _ index: TaskIndex, outputCap: Int) throws(SchedulerRequestError) -> TaskInfo {
        let task = try taskState(id, index)
        var info = task.info()
        if outputCap > 0 {
            let out = OutputFile.readHead(outputPath(task, .stdout), cap: outputCap)
            let err = OutputFile.readHead(outputPath(task, .stderr), cap: outputCap)
            info.standardOutput = out.text
            info.standardOutputSize = out.size
            info.standardOutputTruncated = out.truncated
            info.standardError = err.text
            info.standardErrorSize = err.size
            info.standardErrorTruncated = err.truncated
        }
        return info
    }

    func taskState(_ id: JobID, _ index: TaskIndex) throws(SchedulerRequestError) -> TaskState {
        guard let job = jobs[id] else { throw SchedulerRequestError(code: .notFound, description: "no job \(id)") }
        guard index >= 0, index < job.tasks.count else {
            throw SchedulerRequestError(code: .notFound, description: "job \(id) has no task \(index) (it has \(job.tasks.count))")
        }
        return job.tasks[index]
    }

    /// Where a task's stream is, and whether it can still grow.
    func outputLocation(_ id: JobID, _ index: TaskIndex, _ stream: OutputStreamName) throws(SchedulerRequestError) -> (path: String, complete: Bool) {
        let task = try taskState(id, index)
        let complete = jobs[id].map { $0.isFinal(task) } ?? true
        return (outputPath(task, stream), complete)
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
            statusCounts: named, lastSeq: stateSeq)
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

    /// Up to `length` bytes from `offset`, and the file's size now. A missing file reads as empty.
    static func read(_ path: String, offset: Int64, length: Int) -> (data: Data, size: Int64) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (Data(), 0) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return (Data(), 0) }
        let size = Int64(info.st_size)
        let wanted = max(0, min(Int64(length), size - max(0, offset)))
        guard wanted > 0 else { return (Data(), size) }
        var data = Data(count: Int(wanted))
        var filled = 0
        while filled < data.count {
            let n = data.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            filled += n
        }
        data.count = filled
        return (data, size)
    }
}
