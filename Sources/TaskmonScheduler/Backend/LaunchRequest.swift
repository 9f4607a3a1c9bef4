import Foundation
import TaskmonKit

/// What a run is for.
package enum RunPurpose: Sendable, Hashable {
    /// An attempt of a task.
    case task(TaskKey)
    /// A job's environment setup, started on behalf of the task first in line.
    case setup(JobID)
    case teardown(JobID)

    package var jobID: JobID {
        switch self {
        case .task(let key): key.job
        case .setup(let id), .teardown(let id): id
        }
    }
}

/// What to run: full argv, the complete environment (nothing inherited implicitly), cwd, and
/// where its output and channel go; plus what a cluster backend needs to ask for it.
package struct LaunchRequest: Sendable, Equatable {
    /// argv[0] is resolved with the PATH in `environment`, as execvp would; the child still sees it unchanged.
    package var argv: [String]
    /// The child's entire environment: nothing of the scheduler's own environment is passed on.
    package var environment: [String: String]
    /// The child's current directory; nil keeps the scheduler's.
    package var workingDirectory: String?
    /// Where stdout goes (created on the first byte by the local backend).
    package var stdoutPath: String
    /// Like `stdoutPath`; may be the same file.
    package var stderrPath: String
    /// The task's channel file (`TASKMON_CHANNEL`), when the run is a task.
    package var channelPath: String?
    /// When both are set, the child's stdout and stderr are these descriptors (pipe ends, say)
    /// instead of the files; the paths are then only names for messages. Local processes only.
    package var stdoutDescriptor: Int32?
    package var stderrDescriptor: Int32?
    /// What the run is for.
    package var purpose: RunPurpose
    /// The job's task timeout; the scheduler enforces it exactly, a cluster may also be told.
    package var timeLimit: Duration?
    package var priority: JobPriority
    /// A new attempt of a task that ran before: the last attempt's spool files go first.
    package var replacesEarlierAttempt: Bool

    package init(
        argv: [String], environment: [String: String], workingDirectory: String?, stdoutPath: String, stderrPath: String,
        channelPath: String? = nil, purpose: RunPurpose = .setup(0), timeLimit: Duration? = nil,
        priority: JobPriority = .normal, replacesEarlierAttempt: Bool = false
    ) {
        self.argv = argv
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.stdoutPath = stdoutPath
        self.stderrPath = stderrPath
        self.channelPath = channelPath
        self.purpose = purpose
        self.timeLimit = timeLimit
        self.priority = priority
        self.replacesEarlierAttempt = replacesEarlierAttempt
    }
}
