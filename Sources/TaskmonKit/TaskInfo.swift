import Foundation

/// Identifies a job: a number the scheduler hands out, starting at 1.
public typealias JobID = Int64
/// Identifies a task within its job: its index in the job's task list, starting at 0.
public typealias TaskIndex = Int

/// Everything known about one task, in the JSON shape of the architecture
/// (`taskmon show JOB/TASK --json`, the protocol, the Python client).
public struct TaskInfo: Codable, Sendable, Equatable {
    public var jobID: JobID
    public var id: TaskIndex
    public var name: String
    public var status: TaskStatus
    public var command: [String]
    public var attempts: Int
    public var interruptedRetryAttempts: Int
    public var pid: Int32?
    /// Where the task ran, in its backend's words (a Slurm job id and node, a warm host).
    public var host: String?
    /// What the backend says about the task while it waits to start, in plain words (why a
    /// cluster's queue holds it); nil when there is nothing to say.
    public var message: String?
    public var submittedAt: Date?
    public var assignedAt: Date?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var exitCode: Int32?
    public var signal: Int32?
    public var progress: TaskProgress?
    public var result: TaskResult?
    public var properties: [String: PropertyValue]
    public var exception: TaskException?
    public var standardOutput: String?
    public var standardError: String?
    public var standardOutputTruncated: Bool?
    public var standardErrorTruncated: Bool?
    public var standardOutputSize: Int64?
    public var standardErrorSize: Int64?
    public var cancellationMessage: String?
    public var cancellationReason: CancellationReason
    /// Problems found in what the task reported (a malformed channel line, say).
    public var warnings: [String]
    /// Largest resident set of the attempt's process, in bytes, once it has ended (local tasks).
    public var peakRSS: Int64?
    /// CPU time (user + system) the attempt's process used, in seconds, once it has ended.
    public var cpuTime: Double?
    /// The earlier attempts kept, oldest first (the current attempt is this record itself).
    public var attemptHistory: [AttemptSummary] = []
    /// Set when this record describes an earlier attempt (`get_task` with `attempt`): its number.
    public var attempt: Int?

    public init(
        jobID: JobID, id: TaskIndex, name: String, status: TaskStatus = .notSubmitted,
        command: [String] = [], attempts: Int = 0, interruptedRetryAttempts: Int = 0,
        pid: Int32? = nil, submittedAt: Date? = nil, assignedAt: Date? = nil, startedAt: Date? = nil,
        finishedAt: Date? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
        progress: TaskProgress? = nil, result: TaskResult? = nil, properties: [String: PropertyValue] = [:],
        exception: TaskException? = nil, cancellationMessage: String? = nil,
        cancellationReason: CancellationReason = .none, warnings: [String] = []
    ) {
        self.jobID = jobID
        self.id = id
        self.name = name
        self.status = status
        self.command = command
        self.attempts = attempts
        self.interruptedRetryAttempts = interruptedRetryAttempts
        self.pid = pid
        self.submittedAt = submittedAt
        self.assignedAt = assignedAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.exitCode = exitCode
        self.signal = signal
        self.progress = progress
        self.result = result
        self.properties = properties
        self.exception = exception
        self.cancellationMessage = cancellationMessage
        self.cancellationReason = cancellationReason
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case id, name
        case status = "task_status"
        case statusValue = "status_value"
        case command, attempts
        case interruptedRetryAttempts = "interrupted_retry_attempts"
        case pid, host, message
        case submittedAt = "submitted_at"
        case assignedAt = "assigned_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case exitCode = "exit_code"
        case signal, progress, result, properties, exception
        case standardOutput = "standard_output"
        case standardError = "standard_error"
        case standardOutputTruncated = "standard_output_truncated"
        case standardErrorTruncated = "standard_error_truncated"
        case standardOutputSize = "standard_output_size"
        case standardErrorSize = "standard_error_size"
        case cancellationMessage = "task_cancellation_message"
        case cancellationReason = "task_cancellation_reason"
        case warnings
        case peakRSS = "peak_rss"
        case cpuTime = "cpu_time"
        case attemptHistory = "attempt_history"
        case attempt
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobID = try c.decode(JobID.self, forKey: .jobID)
        id = try c.decode(TaskIndex.self, forKey: .id)
        name = try c.decode(String.self, forKey: .name)
        status = try c.decode(TaskStatus.self, forKey: .status)
        command = try c.decodeIfPresent([String].self, forKey: .command) ?? []
        attempts = try c.decodeIfPresent(Int.self, forKey: .attempts) ?? 0
        interruptedRetryAttempts = try c.decodeIfPresent(Int.self, forKey: .interruptedRetryAttempts) ?? 0
        pid = try c.decodeIfPresent(Int32.self, forKey: .pid)
        host = try c.decodeIfPresent(String.self, forKey: .host)
        message = try c.decodeIfPresent(String.self, forKey: .message)
        submittedAt = try c.decodeIfPresent(Date.self, forKey: .submittedAt)
        assignedAt = try c.decodeIfPresent(Date.self, forKey: .assignedAt)
        startedAt = try c.decodeIfPresent(Date.self, forKey: .startedAt)
        finishedAt = try c.decodeIfPresent(Date.self, forKey: .finishedAt)
        exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
        signal = try c.decodeIfPresent(Int32.self, forKey: .signal)
        progress = try c.decodeIfPresent(TaskProgress.self, forKey: .progress)
        result = try c.decodeIfPresent(TaskResult.self, forKey: .result)
        properties = try c.decodeIfPresent([String: PropertyValue].self, forKey: .properties) ?? [:]
        exception = try c.decodeIfPresent(TaskException.self, forKey: .exception)
        standardOutput = try c.decodeIfPresent(String.self, forKey: .standardOutput)
        standardError = try c.decodeIfPresent(String.self, forKey: .standardError)
        standardOutputTruncated = try c.decodeIfPresent(Bool.self, forKey: .standardOutputTruncated)
        standardErrorTruncated = try c.decodeIfPresent(Bool.self, forKey: .standardErrorTruncated)
        standardOutputSize = try c.decodeIfPresent(Int64.self, forKey: .standardOutputSize)
        standardErrorSize = try c.decodeIfPresent(Int64.self, forKey: .standardErrorSize)
        cancellationMessage = try c.decodeIfPresent(String.self, forKey: .cancellationMessage)
        cancellationReason = try c.decodeIfPresent(CancellationReason.self, forKey: .cancellationReason) ?? .none
        warnings = try c.decodeIfPresent([String].self, forKey: .warnings) ?? []
        peakRSS = try c.decodeIfPresent(Int64.self, forKey: .peakRSS)
        cpuTime = try c.decodeIfPresent(Double.self, forKey: .cpuTime)
        attemptHistory = try c.decodeIfPresent([AttemptSummary].self, forKey: .attemptHistory) ?? []
        attempt = try c.decodeIfPresent(Int.self, forKey: .attempt)
    }

    /// Writes every key of the shape, `null` where there is nothing, so that readers can rely on it.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(jobID, forKey: .jobID)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(status, forKey: .status)
        try c.encode(status.rawValue, forKey: .statusValue)
        try c.encode(command, forKey: .command)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(interruptedRetryAttempts, forKey: .interruptedRetryAttempts)
        try c.encode(pid, forKey: .pid)
        try c.encodeIfPresent(host, forKey: .host)
        try c.encodeIfPresent(message, forKey: .message)
        try c.encode(submittedAt, forKey: .submittedAt)
        try c.encode(assignedAt, forKey: .assignedAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(exitCode, forKey: .exitCode)
        try c.encode(signal, forKey: .signal)
        try c.encode(progress, forKey: .progress)
        try c.encode(result, forKey: .result)
        try c.encode(properties, forKey: .properties)
        try c.encode(exception, forKey: .exception)
        try c.encode(standardOutput, forKey: .standardOutput)
        try c.encode(standardError, forKey: .standardError)
        try c.encodeIfPresent(standardOutputTruncated, forKey: .standardOutputTruncated)
        try c.encodeIfPresent(standardErrorTruncated, forKey: .standardErrorTruncated)
        try c.encodeIfPresent(standardOutputSize, forKey: .standardOutputSize)
        try c.encodeIfPresent(standardErrorSize, forKey: .standardErrorSize)
        try c.encode(cancellationMessage, forKey: .cancellationMessage)
        try c.encode(cancellationReason, forKey: .cancellationReason)
        try c.encode(warnings, forKey: .warnings)
        try c.encode(peakRSS, forKey: .peakRSS)
        try c.encode(cpuTime, forKey: .cpuTime)
        try c.encode(attemptHistory, forKey: .attemptHistory)
        try c.encodeIfPresent(attempt, forKey: .attempt)
    }
}

/// Everything known about one job; `tasks` is filled only when asked for.
public struct JobInfo: Codable, Sendable, Equatable {
    public var id: JobID
    public var name: String
    public var description: String?
    public var priority: JobPriority
    public var taskTimeout: Double?
    public var maxInterruptedRetries: Int
    public var cancelOnTaskFailure: Bool
    public var submittedAt: Date
    public var finishedAt: Date?
    public var taskCount: Int
    /// How many tasks are in each status, by status name.
    public var statusCounts: [String: Int]
    /// Tasks in a final state.
    public var doneCount: Int
    /// Share of tasks finished, 0...100.
    public var progress: Int
    /// Problems of the job as a whole, such as a teardown that failed.
    public var warnings: [String]
    /// What runs the job's tasks (`local`, `slurm`); nil from a scheduler that does not say.
    public var backend: String?
    /// Cores and memory each task asks for (``TaskResources``), unless a task asks otherwise.
    public var resources: TaskResources?
    /// How the environment's setup and teardown commands went; nil when the job has none.
    public var setup: EnvironmentStepInfo?
    public var teardown: EnvironmentStepInfo?
    public var tasks: [TaskInfo]?
    /// In answers to `get_job` with `rows_only`: the page's tasks as list rows, instead of `tasks`.
    public var taskRows: [TaskRowInfo]?
    /// In answers to `get_job`: the number of the last event this snapshot already reflects.
    /// Events up to it are in the snapshot; apply only later ones.
    public var lastSeq: UInt64?

    public init(
        id: JobID, name: String, description: String? = nil, priority: JobPriority = .normal,
        taskTimeout: Double? = nil, maxInterruptedRetries: Int, cancelOnTaskFailure: Bool,
        submittedAt: Date, finishedAt: Date? = nil, taskCount: Int, statusCounts: [String: Int],
        doneCount: Int = 0, warnings: [String] = [], tasks: [TaskInfo]? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.priority = priority
        self.taskTimeout = taskTimeout
        self.maxInterruptedRetries = maxInterruptedRetries
        self.cancelOnTaskFailure = cancelOnTaskFailure
        self.submittedAt = submittedAt
        self.finishedAt = finishedAt
        self.taskCount = taskCount
        self.statusCounts = statusCounts
        self.doneCount = doneCount
        self.progress = taskCount == 0 ? 100 : doneCount * 100 / taskCount
        self.warnings = warnings
        self.tasks = tasks
    }

    enum CodingKeys: String, CodingKey {
        case id, name, description, priority
        case taskTimeout = "task_timeout"
        case maxInterruptedRetries = "max_interrupted_retries"
        case cancelOnTaskFailure = "cancel_on_task_failure"
        case submittedAt = "submitted_at"
        case finishedAt = "finished_at"
        case taskCount = "task_count"
        case statusCounts = "status_counts"
        case doneCount = "done_count"
        case progress, warnings, tasks, backend, setup, teardown
        case resources
        case taskRows = "task_rows"
        case lastSeq = "last_seq"
    }

    /// Number of tasks in `status`.
    public func count(_ status: TaskStatus) -> Int { statusCounts[status.name] ?? 0 }

    /// True once every task is in a final state.
    public var isDone: Bool { finishedAt != nil }
}
