import Foundation

/// A job as a user describes it (`taskmon submit FILE`, the `submit` request, the Swift API).
public struct JobSpec: Codable, Sendable, Equatable {
    public var name: String?
    public var description: String?
    public var priority: JobPriority
    /// Execution time limit per task, in seconds; queueing and setup do not count.
    public var taskTimeout: Double?
    /// How often an INTERRUPTED task is queued again.
    public var maxInterruptedRetries: Int
    /// The first FAILED task cancels the job's other unfinished tasks (reason CONSEQUENTIAL).
    public var cancelOnTaskFailure: Bool
    public var environment: EnvironmentSpec?
    public var tasks: [TaskSpec]
    /// Python tasks run in warm hosts of this kind (``HostSpec``); nil for command-only jobs.
    public var host: HostSpec?
    /// Cores and memory each task needs (``TaskResources``), unless the task says; nil: one core, no memory ask.
    public var resources: TaskResources?
    /// The environment of whoever submitted the job, which its runs start from instead of the
    /// scheduler's minimal base (`taskmon submit` and the Python client send theirs).
    public var submitterEnvironment: [String: String]?
    /// False: the submitter sends no environment and the runs start from the scheduler's
    /// minimal base (`taskmon submit --clean-env`); a spec cannot be false and send one.
    public var inheritEnvironment = true

    /// Used when a spec does not say: documented in the README.
    public static let defaultMaxInterruptedRetries = 3

    public init(
        name: String? = nil, description: String? = nil, priority: JobPriority = .normal,
        taskTimeout: Double? = nil, maxInterruptedRetries: Int = JobSpec.defaultMaxInterruptedRetries,
        cancelOnTaskFailure: Bool = false, environment: EnvironmentSpec? = nil, tasks: [TaskSpec]
    ) {
        self.name = name
        self.description = description
        self.priority = priority
        self.taskTimeout = taskTimeout
        self.maxInterruptedRetries = maxInterruptedRetries
        self.cancelOnTaskFailure = cancelOnTaskFailure
        self.environment = environment
        self.tasks = tasks
    }

    /// Strict: see ``JobSpec/parse(_:source:)`` for what is refused, and how it is named.
    public init(from decoder: Decoder) throws {
        self = try SpecDecoding.job(decoder)
    }

    enum CodingKeys: String, CodingKey {
        case name, description, priority
        case taskTimeout = "task_timeout"
        case maxInterruptedRetries = "max_interrupted_retries"
        case cancelOnTaskFailure = "cancel_on_task_failure"
        case environment, tasks, host
        case resources
        case submitterEnvironment = "submitter_env"
        case inheritEnvironment = "inherit_env"
    }
}

/// Commands run once per job around its tasks, plus env and cwd shared by all its tasks.
public struct EnvironmentSpec: Codable, Sendable, Equatable {
    /// Runs before the job's first task; when it fails every task is ENVIRONMENT_ERROR.
    public var setup: [String]?
    /// Runs after the job's last task, whatever the outcome.
    public var teardown: [String]?
    public var env: [String: String]
    public var cwd: String?

    public init(setup: [String]? = nil, teardown: [String]? = nil, env: [String: String] = [:], cwd: String? = nil) {
        self.setup = setup
        self.teardown = teardown
        self.env = env
        self.cwd = cwd
    }
}

/// One command task: argv, plus env and cwd on top of the job's.
public struct TaskSpec: Codable, Sendable, Equatable {
    public var name: String?
    public var command: [String]
    public var env: [String: String]
    public var cwd: String?
    /// A pickled Python task object: the task runs in one of its job's warm hosts (``HostSpec``),
    /// and `command` is what runs it on a backend without hosts (a one-shot host).
    public var python: String?
    /// What this task needs, instead of the job's ``JobSpec/resources``.
    public var resources: TaskResources?

    public init(name: String? = nil, command: [String], env: [String: String] = [:], cwd: String? = nil, python: String? = nil) {
        self.name = name
        self.command = command
        self.env = env
        self.cwd = cwd
        self.python = python
    }
}
