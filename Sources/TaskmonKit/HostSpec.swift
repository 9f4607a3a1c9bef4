import Foundation

/// How a job's Python tasks are hosted: a long-lived `python3 -m taskmon.host --serve` process
/// per slot that sets the job's task environment up once, in-process, then runs many tasks.
///
/// In a spec: `"host": {"interpreter": ["python3"], "environment": "env.pickle",
/// "unique_id": "…", "idle_timeout": 60}` on the job, `"python": "task-0.pickle"` on each task.
public struct HostSpec: Codable, Sendable, Equatable {
    /// The Python that runs the host (argv; `-m taskmon.host --serve` is added).
    public var interpreter: [String]
    /// A pickled task environment whose `setup()` each host calls once before its first task,
    /// and whose `teardown()` it calls when it is recycled.
    public var environment: String?
    /// Hosts whose environment has this id are kept warm and reused by later jobs with the same
    /// id; without one, a job's hosts serve that job only.
    public var uniqueID: String?
    /// Seconds an idle host waits for another task before it is recycled.
    public var idleTimeout: Double?

    /// Idle time of hosts without a unique id: long enough to bridge the gap between two tasks,
    /// short enough that teardown follows the job's end closely.
    public static let defaultJobIdleTimeout = 2.0
    /// Idle time of hosts with a unique id, when the spec does not say.
    public static let defaultSharedIdleTimeout = 300.0

    public init(interpreter: [String] = ["python3"], environment: String? = nil, uniqueID: String? = nil, idleTimeout: Double? = nil) {
        self.interpreter = interpreter
        self.environment = environment
        self.uniqueID = uniqueID
        self.idleTimeout = idleTimeout
    }

    enum CodingKeys: String, CodingKey {
        case interpreter, environment
        case uniqueID = "unique_id"
        case idleTimeout = "idle_timeout"
    }
}
