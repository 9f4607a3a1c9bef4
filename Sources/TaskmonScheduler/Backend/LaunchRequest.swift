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
    /// With `replacesEarlierAttempt`: the spool prefix under which the last attempt's files are
    /// kept (``StateDirectory/attemptSpool(job:task:attempt:)``) instead of being removed.
    package var keepsEarlierAttemptAs: String?
    /// A Python task for a warm host (``HostPool``); nil for a command.
    package var host: HostLaunch?
    /// The child's stdin (a socket end, say) instead of /dev/null. Local processes only.
    package var stdinDescriptor: Int32?
    /// Cores and memory the task needs: a cluster asks for them (Slurm's `--cpus-per-task`,
    /// `--mem`); the local backend's slots were counted by the scheduler already.
    package var resources: TaskResources?

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

/// What a warm host needs to run a Python task: which host (interpreter, environment, id) and
/// the task's pickle; plus where the environment's setup and teardown output goes.
package struct HostLaunch: Sendable, Equatable {
    package var interpreter: [String]
    /// The pickled task environment; nil when the job has none.
    package var environmentPayload: String?
    /// Hosts are shared between jobs whose environments have the same id.
    package var uniqueID: String?
    package var idleTimeout: Duration
    /// The pickled task object.
    package var taskPayload: String
    /// `output/JOB/setup` and `output/JOB/teardown`: `.stdout` / `.stderr` are added.
    package var setupSpool: String
    package var teardownSpool: String
    package var job: JobID

    package init(
        interpreter: [String], environmentPayload: String?, uniqueID: String?, idleTimeout: Duration, taskPayload: String,
        setupSpool: String, teardownSpool: String, job: JobID
    ) {
        self.interpreter = interpreter
        self.environmentPayload = environmentPayload
        self.uniqueID = uniqueID
        self.idleTimeout = idleTimeout
        self.taskPayload = taskPayload
        self.setupSpool = setupSpool
        self.teardownSpool = teardownSpool
        self.job = job
    }
}
