import TaskmonKit

/// A task's stdout or stderr as the scheduler serves it (`readOutput`).
package struct SchedulerOutputSource: OutputSource, Sendable {
    /// The scheduler refuses to send more than this in one answer.
    package static let maxReadLength = 16 << 20

    /// The connection reads go through.
    package let client: SchedulerClient
    /// The task whose output this is.
    package let job: JobID
    /// The task within `job`.
    package let task: TaskIndex
    /// `.stdout` for the Output tab, `.stderr` for Errors.
    package let stream: OutputStreamName
    /// An earlier attempt's output; nil: the current attempt's.
    package let attempt: Int?

    /// The `stream` of task `task` of job `job` (of its earlier `attempt`), read through `client`.
    package init(client: SchedulerClient, job: JobID, task: TaskIndex, stream: OutputStreamName, attempt: Int? = nil) {
        self.client = client
        self.job = job
        self.task = task
        self.stream = stream
        self.attempt = attempt
    }

    package func read(offset: Int64, length: Int) throws -> OutputChunk {
        try client.readOutput(job, task, stream: stream, offset: offset, length: min(length, Self.maxReadLength), attempt: attempt)
    }
}
