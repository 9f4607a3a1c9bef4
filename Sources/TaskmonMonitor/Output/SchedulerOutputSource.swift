import TaskmonKit

/// A task's stdout or stderr as the scheduler serves it (`readOutput`).
public struct SchedulerOutputSource: OutputSource, Sendable {
    /// The scheduler refuses to send more than this in one answer.
    public static let maxReadLength = 16 << 20

    /// The connection reads go through.
    public let client: SchedulerClient
    /// The task whose output this is.
    public let job: JobID
    /// The task within `job`.
    public let task: TaskIndex
    /// `.stdout` for the Output tab, `.stderr` for Errors.
    public let stream: OutputStreamName

    /// The `stream` of task `task` of job `job`, read through `client`.
    public init(client: SchedulerClient, job: JobID, task: TaskIndex, stream: OutputStreamName) {
        self.client = client
        self.job = job
        self.task = task
        self.stream = stream
    }

    public func read(offset: Int64, length: Int) throws -> OutputChunk {
        try client.readOutput(job, task, stream: stream, offset: offset, length: min(length, Self.maxReadLength))
    }
}
