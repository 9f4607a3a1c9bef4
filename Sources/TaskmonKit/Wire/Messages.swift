import Foundation

// Parameters and results of each request, in the protocol's snake_case.

public struct HelloParams: Codable, Sendable {
    public var version: Int
    public var client: String
    public init(version: Int = Wire.protocolVersion, client: String) {
        self.version = version
        self.client = client
    }
}

public struct HelloResult: Codable, Sendable {
    public var version: Int
    public var schedulerPID: Int32
    public var stateDirectory: String
    public var slots: Int
    public init(version: Int, schedulerPID: Int32, stateDirectory: String, slots: Int) {
        self.version = version
        self.schedulerPID = schedulerPID
        self.stateDirectory = stateDirectory
        self.slots = slots
    }
    enum CodingKeys: String, CodingKey {
        case version
        case schedulerPID = "scheduler_pid"
        case stateDirectory = "state_dir"
        case slots
    }
}

public struct SubmitParams: Codable, Sendable {
    public var spec: JobSpec
    public init(spec: JobSpec) { self.spec = spec }
}

public struct SubmitResult: Codable, Sendable {
    public var jobID: JobID
    public var taskCount: Int
    public init(jobID: JobID, taskCount: Int) {
        self.jobID = jobID
        self.taskCount = taskCount
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskCount = "task_count"
    }
}

/// Cancel a whole job (no `task_id`) or one task.
public struct CancelParams: Codable, Sendable {
    public var jobID: JobID
    public var taskID: TaskIndex?
    public var message: String?
    public init(jobID: JobID, taskID: TaskIndex? = nil, message: String? = nil) {
        self.jobID = jobID
        self.taskID = taskID
        self.message = message
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
        case message
    }
}

public struct CancelResult: Codable, Sendable {
    /// How many tasks the cancel reached (queued ones canceled, running ones told to stop).
    public var canceled: Int
    public init(canceled: Int) { self.canceled = canceled }
}

/// Names one task.
public struct TaskRef: Codable, Sendable, Hashable {
    public var jobID: JobID
    public var taskID: TaskIndex
    public init(jobID: JobID, taskID: TaskIndex) {
        self.jobID = jobID
        self.taskID = taskID
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
    }
}

/// Many finished tasks queued again in one request and one commit: the tasks named, and every
/// failed, timed-out and environment-error task of the jobs in `failed_of_jobs`.
public struct RetryTasksParams: Codable, Sendable {
    public var tasks: [TaskRef]
    public var failedOfJobs: [JobID]
    public init(tasks: [TaskRef] = [], failedOfJobs: [JobID] = []) {
        self.tasks = tasks
        self.failedOfJobs = failedOfJobs
    }
    enum CodingKeys: String, CodingKey {
        case tasks
        case failedOfJobs = "failed_of_jobs"
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tasks = try c.decodeIfPresent([TaskRef].self, forKey: .tasks) ?? []
        failedOfJobs = try c.decodeIfPresent([JobID].self, forKey: .failedOfJobs) ?? []
    }
}

/// What a `retry_tasks` did: how many tasks were queued again, how many were left as they were
/// (not finished, or not there), why the first of those was, and which jobs run again.
public struct RetryTasksResult: Codable, Sendable, Equatable {
    public var retried: Int
    public var unchanged: Int
    public var firstProblem: String?
    /// The jobs with at least one task queued again, in ascending order. A client that follows
    /// a finished job follows it again by this answer: asking the job afterwards races with the
    /// new attempts, which may already have finished it again.
    public var retriedJobs: [JobID]
    public init(retried: Int, unchanged: Int, firstProblem: String? = nil, retriedJobs: [JobID] = []) {
        self.retried = retried
        self.unchanged = unchanged
        self.firstProblem = firstProblem
        self.retriedJobs = retriedJobs
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        retried = try c.decode(Int.self, forKey: .retried)
        unchanged = try c.decode(Int.self, forKey: .unchanged)
        firstProblem = try c.decodeIfPresent(String.self, forKey: .firstProblem)
        // An older scheduler does not say; its clients asked the job instead.
        retriedJobs = try c.decodeIfPresent([JobID].self, forKey: .retriedJobs) ?? []
    }
    enum CodingKeys: String, CodingKey {
        case retried, unchanged
        case firstProblem = "first_problem"
        case retriedJobs = "retried_jobs"
    }
}

/// A job, with its tasks when asked: all, or the page `task_offset ..< task_offset + task_limit`
/// (a job of a million tasks does not fit in one answer).
public struct JobQuery: Codable, Sendable {
    public var jobID: JobID
    public var includeTasks: Bool
    public var taskOffset: Int
    public var taskLimit: Int?
    /// With `include_tasks`: send the page as `task_rows` (what a task list shows), not whole tasks.
    public var rowsOnly: Bool
    public init(jobID: JobID, includeTasks: Bool, taskOffset: Int = 0, taskLimit: Int? = nil, rowsOnly: Bool = false) {
        self.jobID = jobID
        self.includeTasks = includeTasks
        self.taskOffset = taskOffset
        self.taskLimit = taskLimit
        self.rowsOnly = rowsOnly
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case includeTasks = "include_tasks"
        case taskOffset = "task_offset"
        case taskLimit = "task_limit"
        case rowsOnly = "rows_only"
    }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try c.decode(JobID.self, forKey: .jobID)
        includeTasks = try c.decodeIfPresent(Bool.self, forKey: .includeTasks) ?? false
        taskOffset = try c.decodeIfPresent(Int.self, forKey: .taskOffset) ?? 0
        taskLimit = try c.decodeIfPresent(Int.self, forKey: .taskLimit)
        rowsOnly = try c.decodeIfPresent(Bool.self, forKey: .rowsOnly) ?? false
    }
}

public struct JobList: Codable, Sendable {
    public var jobs: [JobInfo]
    /// The number of the last event this list already reflects: a subscriber that starts
    /// from here misses nothing and counts nothing twice.
    public var lastSeq: UInt64?
    public init(jobs: [JobInfo], lastSeq: UInt64? = nil) {
        self.jobs = jobs
        self.lastSeq = lastSeq
    }
    enum CodingKeys: String, CodingKey {
        case jobs
        case lastSeq = "last_seq"
    }
}

public struct TaskQuery: Codable, Sendable {
    public var jobID: JobID
    public var taskID: TaskIndex
    /// Bytes of stdout/stderr to include; 0 leaves them out.
    public var outputCap: Int
    /// An earlier attempt to describe instead of the current one (1 is the first); nil: the current.
    public var attempt: Int?
    public init(jobID: JobID, taskID: TaskIndex, outputCap: Int = Wire.defaultOutputCap, attempt: Int? = nil) {
        self.jobID = jobID
        self.taskID = taskID
        self.outputCap = outputCap
        self.attempt = attempt
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
        case outputCap = "output_cap"
        case attempt
    }
}

/// A task's two output streams.
public enum OutputStreamName: String, Codable, Sendable {
    case stdout, stderr
}

public struct ReadOutputParams: Codable, Sendable {
    public var jobID: JobID
    public var taskID: TaskIndex
    public var stream: OutputStreamName
    public var offset: Int64
    public var length: Int
    /// An earlier attempt's output instead of the current one's (1 is the first); nil: the current.
    public var attempt: Int?
    public init(jobID: JobID, taskID: TaskIndex, stream: OutputStreamName, offset: Int64, length: Int, attempt: Int? = nil) {
        self.jobID = jobID
        self.taskID = taskID
        self.stream = stream
        self.offset = offset
        self.length = length
        self.attempt = attempt
    }
    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
        case stream, offset, length, attempt
    }
}

/// A range of a task's output, and how far the stream reaches now.
public struct OutputChunk: Codable, Sendable, Equatable {
    public var offset: Int64
    /// The bytes from `offset` (base64 on the wire).
    public var data: Data
    /// The stream's size when read.
    public var size: Int64
    /// The task is finished: the stream will not grow (until a retry).
    public var complete: Bool
    public init(offset: Int64, data: Data, size: Int64, complete: Bool) {
        self.offset = offset
        self.data = data
        self.size = size
        self.complete = complete
    }
}

public struct SubscribeParams: Codable, Sendable {
    /// Replay events after this sequence number, then go on live; nil: live only.
    public var afterSeq: UInt64?
    /// Only the events of this job; nil: every job's.
    public var jobID: JobID?
    /// Only events of these types (`job_completed`, say); nil: every type.
    public var types: [String]?
    public init(afterSeq: UInt64?, jobID: JobID? = nil, types: [String]? = nil) {
        self.afterSeq = afterSeq
        self.jobID = jobID
        self.types = types
    }
    enum CodingKeys: String, CodingKey {
        case afterSeq = "after_seq"
        case jobID = "job_id"
        case types
    }
}

public struct SubscribeResult: Codable, Sendable {
    /// The newest event's sequence number when the subscription began.
    public var lastSeq: UInt64
    public init(lastSeq: UInt64) { self.lastSeq = lastSeq }
    enum CodingKeys: String, CodingKey { case lastSeq = "last_seq" }
}

/// Sent instead of further events when a subscriber cannot be served: it fell too far behind,
/// or asked to resume from events no longer kept. Take a snapshot and subscribe again.
public struct ResyncNotice: Codable, Sendable, Equatable {
    public var reason: String
    public var lastSeq: UInt64
    public init(reason: String, lastSeq: UInt64) {
        self.reason = reason
        self.lastSeq = lastSeq
    }
    enum CodingKeys: String, CodingKey {
        case reason
        case lastSeq = "last_seq"
    }
}

/// The scheduler as a whole: what the monitor's header shows.
public struct SchedulerStatus: Codable, Sendable, Equatable {
    public var pid: Int32
    public var stateDirectory: String
    public var slots: Int
    public var busySlots: Int
    public var queued: Int
    public var jobs: Int
    public var statusCounts: [String: Int]
    /// The number of the last event these figures already reflect.
    public var lastSeq: UInt64
    /// Set while the scheduler cannot commit to its database ("no space left on device"):
    /// changes wait in memory, unacknowledged, and are written once the cause is gone.
    public var storageError: String?
    /// What runs the tasks (`local`, `slurm`), and why it cannot right now (slurmctld down);
    /// nil from a scheduler that does not say / when all is well.
    public var backend: String?
    public var backendProblem: String?
    public init(pid: Int32, stateDirectory: String, slots: Int, busySlots: Int, queued: Int, jobs: Int,
                statusCounts: [String: Int], lastSeq: UInt64, storageError: String? = nil) {
        self.storageError = storageError
        self.pid = pid
        self.stateDirectory = stateDirectory
        self.slots = slots
        self.busySlots = busySlots
        self.queued = queued
        self.jobs = jobs
        self.statusCounts = statusCounts
        self.lastSeq = lastSeq
    }
    enum CodingKeys: String, CodingKey {
        case pid
        case stateDirectory = "state_dir"
        case slots
        case busySlots = "busy_slots"
        case queued, jobs
        case statusCounts = "status_counts"
        case lastSeq = "last_seq"
        case storageError = "storage_error"
        case backend
        case backendProblem = "backend_problem"
    }
}
