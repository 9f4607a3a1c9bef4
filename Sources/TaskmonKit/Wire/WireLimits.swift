import Foundation

/// The ranges every number in a request must lie in. A request outside them gets an
/// `invalid_params` error naming the field; none can make the scheduler trap or allocate
/// without bound.
public enum WireLimits {
    /// Tasks in one `get_job` answer, whatever `task_limit` asks for (a job of a million tasks
    /// would be a 500 MB line); the answer's `task_count` tells the caller to page on.
    public static let maxTaskPage = 20_000
    /// Bytes in one `read_output` answer.
    public static let maxOutputChunk = 16 << 20
    /// Bytes of each stream in a `get_task` answer.
    public static let maxOutputCap = Wire.maxLineBytes / 4
    /// Sequence numbers and byte offsets are stored as SQLite integers (signed 64-bit).
    public static let maxSeq = UInt64(Int64.max)
    public static let maxOffset = Int64.max / 2

    /// The problem with a request's numbers, or nil when they are all in range.
    public static func problem(_ query: JobQuery) -> String? {
        if query.jobID < 1 { return "job_id must be at least 1 (got \(query.jobID))" }
        if query.taskOffset < 0 { return "task_offset must not be negative (got \(query.taskOffset))" }
        if let limit = query.taskLimit, limit < 0 { return "task_limit must not be negative (got \(limit))" }
        return nil
    }

    public static func problem(_ query: TaskQuery) -> String? {
        if query.jobID < 1 { return "job_id must be at least 1 (got \(query.jobID))" }
        if query.taskID < 0 { return "task_id must not be negative (got \(query.taskID))" }
        if query.outputCap < 0 { return "output_cap must not be negative (got \(query.outputCap))" }
        if let attempt = query.attempt, attempt < 1 { return "attempt must be at least 1 (got \(attempt))" }
        return nil
    }

    public static func problem(_ params: ReadOutputParams) -> String? {
        if params.jobID < 1 { return "job_id must be at least 1 (got \(params.jobID))" }
        if params.taskID < 0 { return "task_id must not be negative (got \(params.taskID))" }
        if params.offset < 0 || params.offset > maxOffset {
            return "offset must be from 0 to \(maxOffset) (got \(params.offset))"
        }
        if params.length < 0 { return "length must not be negative (got \(params.length))" }
        if let attempt = params.attempt, attempt < 1 { return "attempt must be at least 1 (got \(attempt))" }
        return nil
    }

    public static func problem(_ params: SubscribeParams) -> String? {
        if let after = params.afterSeq, after > maxSeq { return "after_seq must be at most \(maxSeq) (got \(after))" }
        return nil
    }

    public static func problem(_ params: CancelParams) -> String? {
        if params.jobID < 1 { return "job_id must be at least 1 (got \(params.jobID))" }
        if let task = params.taskID, task < 0 { return "task_id must not be negative (got \(task))" }
        return nil
    }

    /// Tasks and jobs in one `retry_tasks` request.
    public static let maxRetryBatch = 1_000_000

    public static func problem(_ params: RetryTasksParams) -> String? {
        if params.tasks.count > maxRetryBatch { return "tasks must name at most \(maxRetryBatch) tasks (got \(params.tasks.count))" }
        if params.failedOfJobs.count > maxRetryBatch {
            return "failed_of_jobs must name at most \(maxRetryBatch) jobs (got \(params.failedOfJobs.count))"
        }
        if let bad = params.failedOfJobs.first(where: { $0 < 1 }) { return "failed_of_jobs: a job id must be at least 1 (got \(bad))" }
        for (index, ref) in params.tasks.enumerated() {
            if let problem = problem(ref) { return "tasks[\(index)]: \(problem)" }
        }
        return nil
    }

    public static func problem(_ ref: TaskRef) -> String? {
        if ref.jobID < 1 { return "job_id must be at least 1 (got \(ref.jobID))" }
        if ref.taskID < 0 { return "task_id must not be negative (got \(ref.taskID))" }
        return nil
    }
}
