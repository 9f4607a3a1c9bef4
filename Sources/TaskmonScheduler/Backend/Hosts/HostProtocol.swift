import Foundation
import TaskmonKit

/// The line protocol between the scheduler and a warm host (`python3 -m taskmon.host --serve`).
///
/// The host's stdin is one end of a Unix socketpair; the host moves it to a private descriptor
/// (close-on-exec, so subprocesses of tasks never hold it) and puts /dev/null on fd 0. One JSON
/// object a line, each way; the scheduler sends one command at a time and waits for its answer.
///
/// ```
/// host → {"hello": PID}                                        once, when it is ready
///   ← {"op": "setup", "environment": PATH, "cwd": DIR|null,      unpickle the environment, chdir to its
///      "stdout": PATH, "stderr": PATH}                           working_directory, call setup()
/// host → {"setup": "ok"} | {"setup": "failed", "exception": {"type", "message", "trace"}}
///   ← {"op": "task", "payload": PATH, "stdout": PATH,            run one task: fds 1 and 2 on its spool
///      "stderr": PATH, "env": {NAME: VALUE}}                     files, env on top of the host's
/// host → {"done": 0 | 1}                                        0: completed; 1: failed (reported on its channel)
///   ← {"op": "recycle", "stdout": PATH, "stderr": PATH}          call teardown() (if set up), then exit 0
/// ```
/// Output of setup and teardown goes to the paths given (the job's `setup.*` / `teardown.*`).
/// A task's properties, result, exception and progress go to its channel file
/// (`env["TASKMON_CHANNEL"]`), as for a one-shot host. EOF on the socket makes the host recycle.
enum HostMessage: Equatable {
    case hello(pid: Int32)
    case setupSucceeded
    case setupFailed(TaskException)
    case done(status: Int32)
    case unknown(String)

    /// Reads one line from the host; never throws (a bad line is `.unknown`).
    static func parse(_ line: Data) -> HostMessage {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return .unknown(String(decoding: line.prefix(200), as: UTF8.self))
        }
        if let pid = object["hello"] as? Int, let value = Int32(exactly: pid) { return .hello(pid: value) }
        if let status = object["done"] as? Int { return .done(status: Int32(clamping: status)) }
        if let setup = object["setup"] as? String {
            if setup == "ok" { return .setupSucceeded }
            let raw = object["exception"] as? [String: Any] ?? [:]
            return .setupFailed(TaskException(
                type: raw["type"] as? String ?? "EnvironmentSetupError",
                message: raw["message"] as? String ?? "the task environment's setup() failed",
                trace: raw["trace"] as? String ?? ""))
        }
        return .unknown(String(decoding: line.prefix(200), as: UTF8.self))
    }
}

/// Commands to a host, as lines.
enum HostCommand {
    case setup(environment: String, cwd: String?, spool: String)
    case task(payload: String, stdout: String, stderr: String, env: [String: String])
    case recycle(spool: String)

    var line: Data {
        let object: [String: Any]
        switch self {
        case .setup(let environment, let cwd, let spool):
            object = ["op": "setup", "environment": environment, "cwd": cwd ?? NSNull(),
                      "stdout": spool + ".stdout", "stderr": spool + ".stderr"]
        case .task(let payload, let stdout, let stderr, let env):
            object = ["op": "task", "payload": payload, "stdout": stdout, "stderr": stderr, "env": env]
        case .recycle(let spool):
            object = ["op": "recycle", "stdout": spool + ".stdout", "stderr": spool + ".stderr"]
        }
        var data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        data.append(UInt8(ascii: "\n"))
        return data
    }
}
