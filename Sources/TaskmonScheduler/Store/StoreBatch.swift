import Foundation
import TaskmonKit

/// Every change of one scheduling pass, written in one transaction.
///
/// One transaction per change would cap the scheduler near 2,000 tasks a second
/// (see NOTES-processes.md); a pass batches its changes here instead.
struct StoreBatch: Sendable {
    var newJobs: [JobState] = []
    var jobs: [JobID: JobState] = [:]
    var tasks: [TaskKey: TaskState] = [:]
    /// Tasks whose properties must be rewritten from `tasks[key].properties`.
    var propertiesChanged: Set<TaskKey> = []
    /// Tasks whose kept earlier attempts must be rewritten from `tasks[key].earlierAttempts`.
    var attemptsChanged: Set<TaskKey> = []
    var events: [EncodedEvent] = []

    var isEmpty: Bool {
        newJobs.isEmpty && jobs.isEmpty && tasks.isEmpty && propertiesChanged.isEmpty && attemptsChanged.isEmpty && events.isEmpty
    }
}

/// An event with its JSON, encoded once and then stored, kept for replay and sent as is.
struct EncodedEvent: Sendable {
    var seq: UInt64
    var time: Date
    /// The event's JSON object (no trailing newline).
    var json: Data
    /// What a subscription filter looks at, kept beside the JSON so that filtering decodes nothing.
    /// Nil for events read back from the database (a filter then decodes them).
    var jobID: JobID?
    var type: String?
}
