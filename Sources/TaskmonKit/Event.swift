import Foundation

/// One entry of the scheduler's event stream. `seq` grows by one per event and never repeats,
/// so a subscriber can resume from the last one it saw.
public struct SchedulerEvent: Codable, Sendable, Equatable {
    public var seq: UInt64
    public var time: Date
    public var body: EventBody

    public init(seq: UInt64, time: Date, body: EventBody) {
        self.seq = seq
        self.time = time
        self.body = body
    }

    enum CodingKeys: String, CodingKey { case seq, time, type, data }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        seq = try c.decode(UInt64.self, forKey: .seq)
        time = try c.decode(Date.self, forKey: .time)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "job_submitted": body = .jobSubmitted(try c.decode(JobInfo.self, forKey: .data))
        case "job_completed": body = .jobCompleted(try c.decode(JobInfo.self, forKey: .data))
        case "task_status_changed": body = .taskStatusChanged(try c.decode(TaskStatusChange.self, forKey: .data))
        case "task_progress": body = .taskProgress(try c.decode(TaskProgressUpdate.self, forKey: .data))
        case "task_warning": body = .taskWarning(try c.decode(TaskWarning.self, forKey: .data))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown event type \(type)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(seq, forKey: .seq)
        try c.encode(time, forKey: .time)
        try c.encode(body.typeName, forKey: .type)
        switch body {
        case .jobSubmitted(let job), .jobCompleted(let job): try c.encode(job, forKey: .data)
        case .taskStatusChanged(let change): try c.encode(change, forKey: .data)
        case .taskProgress(let update): try c.encode(update, forKey: .data)
        case .taskWarning(let warning): try c.encode(warning, forKey: .data)
        }
    }
}

/// What happened. Jobs travel without their task list; a client asks for tasks when it needs them.
public enum EventBody: Sendable, Equatable {
    case jobSubmitted(JobInfo)
    case taskStatusChanged(TaskStatusChange)
    case taskProgress(TaskProgressUpdate)
    case taskWarning(TaskWarning)
    /// Every task of the job is final (sent again if a retry later finishes it once more).
    case jobCompleted(JobInfo)

    public static let jobCompletedType = "job_completed"

    /// The job the event is about.
    public var jobID: JobID {
        switch self {
        case .jobSubmitted(let job), .jobCompleted(let job): job.id
        case .taskStatusChanged(let change): change.jobID
        case .taskProgress(let update): update.jobID
        case .taskWarning(let warning): warning.jobID
        }
    }

    public var typeName: String {
        switch self {
        case .jobSubmitted: "job_submitted"
        case .taskStatusChanged: "task_status_changed"
        case .taskProgress: "task_progress"
        case .taskWarning: "task_warning"
        case .jobCompleted: "job_completed"
        }
    }
}

/// A task moved from one status to another.
public struct TaskStatusChange: Codable, Sendable, Equatable {
    public var jobID: JobID
    public var taskID: TaskIndex
    public var name: String
    public var previous: TaskStatus
    public var status: TaskStatus
    public var pid: Int32?
    public var attempts: Int
    public var exitCode: Int32?
    public var signal: Int32?
    public var exceptionType: String?
    public var cancellationReason: CancellationReason
    /// What the attempt's process used, on the change that ends a local attempt.
    public var peakRSS: Int64?
    public var cpuTime: Double?

    public init(
        jobID: JobID, taskID: TaskIndex, name: String, previous: TaskStatus, status: TaskStatus,
        pid: Int32? = nil, attempts: Int = 0, exitCode: Int32? = nil, signal: Int32? = nil,
        exceptionType: String? = nil, cancellationReason: CancellationReason = .none,
        peakRSS: Int64? = nil, cpuTime: Double? = nil
    ) {
        self.peakRSS = peakRSS
        self.cpuTime = cpuTime
        self.jobID = jobID
        self.taskID = taskID
        self.name = name
        self.previous = previous
        self.status = status
        self.pid = pid
        self.attempts = attempts
        self.exitCode = exitCode
        self.signal = signal
        self.exceptionType = exceptionType
        self.cancellationReason = cancellationReason
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
        case name, previous, status, pid, attempts
        case exitCode = "exit_code"
        case signal
        case exceptionType = "exception_type"
        case cancellationReason = "task_cancellation_reason"
        case peakRSS = "peak_rss"
        case cpuTime = "cpu_time"
    }
}

/// A running task reported progress.
public struct TaskProgressUpdate: Codable, Sendable, Equatable {
    public var jobID: JobID
    public var taskID: TaskIndex
    public var progress: TaskProgress

    public init(jobID: JobID, taskID: TaskIndex, progress: TaskProgress) {
        self.jobID = jobID
        self.taskID = taskID
        self.progress = progress
    }

    enum CodingKeys: String, CodingKey {
        case jobID = "job_id"
        case taskID = "task_id"
        case progress
    }
}

/// Something about a task a person should see: a malformed channel line, say.
public struct TaskWarning: Codable, Sendable, Equatable {
    public var jobID: JobID
    public var taskID: TaskIndex
    public var message: String

    public init(jobID: JobID, taskID: TaskIndex, message: String) {
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
