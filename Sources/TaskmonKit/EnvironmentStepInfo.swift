import Foundation

/// How a job's environment setup or teardown command went (`setup` and `teardown` of a job's
/// info; absent when the job has no such command).
public struct EnvironmentStepInfo: Codable, Sendable, Equatable {
    /// Where the command is.
    public enum State: String, Codable, Sendable {
        /// Not run yet (setup waits for the first task's slot, teardown for the last task).
        case pending
        case running
        /// Exited 0.
        case succeeded
        /// Exited non-zero, was killed, or could not start (see `problem`).
        case failed
        /// It ran before the scheduler last restarted; how it ended was not kept.
        case unknown
    }

    public var state: State
    public var exitCode: Int32?
    public var signal: Int32?
    /// Why it failed when no exit status says it (it could not start, its run was lost).
    public var problem: String?

    public init(state: State, exitCode: Int32? = nil, signal: Int32? = nil, problem: String? = nil) {
        self.state = state
        self.exitCode = exitCode
        self.signal = signal
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case state
        case exitCode = "exit_code"
        case signal, problem
    }

    /// `succeeded (exit 0)`, `failed (exit 3)`, `failed (signal 9)`, `failed: could not start…`.
    public var summary: String {
        var text = state.rawValue
        if let exitCode { text += " (exit \(exitCode))" } else if let signal { text += " (signal \(signal))" }
        if let problem { text += ": \(problem)" }
        return text
    }
}
