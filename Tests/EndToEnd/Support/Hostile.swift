import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// The binary the trust tests attack: `TASKMON_TEST_BINARY` when set (to run the same tests
/// against an older build and watch them fail), else the one built with the tests.
enum AttackedBinary {
    static var path: String {
        ProcessInfo.processInfo.environment["TASKMON_TEST_BINARY"].flatMap { $0.isEmpty ? nil : $0 } ?? Binaries.taskmon
    }
}

/// A `taskmon serve` of ``AttackedBinary`` on a temp state dir, for tests that crash it,
/// corrupt its database or fill its disk.
final class Target: @unchecked Sendable {
    let directory: StateDirectory
    private(set) var pid: pid_t?

    init(directory: StateDirectory? = nil) {
        self.directory = directory ?? StateDirectory(path: Target.makeFolder())
    }

    static func makeFolder(_ prefix: String = "/tmp/tmt-") -> String {
        var template = Array((prefix + "XXXXXX").utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    /// Starts the scheduler and waits (up to 60 s) until it answers; false if it did not.
    @discardableResult
    func start(slots: Int = 2, extra: [String] = [], environment: [String: String] = [:], expectAnswer: Bool = true) throws -> Bool {
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        pid = try Spawn.start(
            [AttackedBinary.path, "serve", "--state-dir", directory.path, "--slots", String(slots), "--kill-grace", "1"] + extra,
            environment: env, stdout: log, stderr: log)
        guard expectAnswer else { return true }
        guard let pid else { return false }
        let (answered, exited) = Spawn.waitUntilServing(pid, directory)
        if answered { return true }
        if exited {
            self.pid = nil
            return false
        }
        Issue.record("taskmon serve did not answer within 60 s on \(directory.path)")
        return false
    }

    /// Where the scheduler's log goes: beside the state dir, so that deleting the dir keeps it.
    var logPath: String { directory.path + ".log" }

    /// The scheduler's log.
    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Whether the scheduler process is still alive.
    var alive: Bool {
        guard let pid else { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            self.pid = nil
            return false
        }
        return true
    }

    /// `kill -9`, as a crash would.
    func crash() {
        guard let pid else { return }
        kill(pid, SIGKILL)
        _ = Spawn.wait(pid)
        self.pid = nil
    }

    func stop() {
        guard let pid else { return }
        kill(pid, SIGTERM)
        _ = Spawn.wait(pid)
        self.pid = nil
    }

    /// Runs the CLI against this state dir; `timeout` bounds the whole command.
    @discardableResult
    func taskmon(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> RunResult {
        var env = environment
        env["TASKMON_STATE_DIR"] = directory.path
        return try run(AttackedBinary.path, arguments, environment: env, timeout: timeout)
    }

    func client(timeout: Duration = .seconds(10)) throws -> SchedulerClient {
        try SchedulerClient.connect(directory, timeout: timeout)
    }

    /// Whether the scheduler answers `status` within a few seconds.
    var answers: Bool {
        guard let client = try? client(timeout: .seconds(5)) else { return false }
        return (try? client.status()) != nil
    }

    func cleanUp() {
        stop()
        try? FileManager.default.removeItem(atPath: directory.path)
        try? FileManager.default.removeItem(atPath: logPath)
    }
}

/// Runs `body` against a fresh ``Target`` that is always stopped and removed afterwards.
func withTarget(slots: Int = 2, _ body: (Target) throws -> Void) throws {
    let target = Target()
    defer { target.cleanUp() }
    guard try target.start(slots: slots) else {
        Issue.record("the scheduler did not start: \(target.log)")
        return
    }
    try body(target)
}

/// A raw protocol connection: whatever lines a hostile client would send.
final class RawPeer {
    let connection: SocketLineConnection

    init(_ directory: StateDirectory) throws {
        connection = try SocketLineConnection(path: directory.socketPath, deadline: .now + .seconds(5))
    }

    /// Sends one line and returns the next line that answers it, within `seconds`.
    func ask(_ line: String, within seconds: Int = 10) throws -> String {
        try connection.writeLine(Data(line.utf8), deadline: .now + .seconds(seconds))
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let answer = String(decoding: try connection.readLine(deadline: deadline), as: UTF8.self)
            // Notifications (events) are no answers.
            if answer.contains(#""method":"#) && !answer.contains(#""id":"#) { continue }
            return answer
        }
    }

    func hello() throws {
        let answer = try ask(#"{"jsonrpc":"2.0","id":0,"method":"hello","params":{"version":1,"client":"attacker"}}"#)
        #expect(answer.contains("\"result\""), "\(answer)")
    }

    deinit { connection.close() }
}

/// A Python helper process (python3 is on the machine for the Python client anyway).
func python(_ script: String, _ arguments: [String] = [], timeout: TimeInterval = 120) throws -> RunResult {
    try run("/usr/bin/env", ["python3", "-c", script] + arguments, timeout: timeout)
}

/// Starts a Python helper in the background; returns its pid (reap it with `Spawn.wait`).
func backgroundPython(_ script: String, _ arguments: [String] = [], log: String) throws -> pid_t {
    let fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    defer { close(fd) }
    return try Spawn.start(["/usr/bin/env", "python3", "-c", script] + arguments,
                           environment: ProcessInfo.processInfo.environment, stdout: fd, stderr: fd)
}


