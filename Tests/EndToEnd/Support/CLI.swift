import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// The built binaries, found next to the test bundle in the build folder.
enum Binaries {
    static let folder: URL = {
        var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        // …/debug/taskmonPackageTests.xctest (a file on Linux) → …/debug
        while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("taskmon").path), url.path != "/" {
            url.deleteLastPathComponent()
        }
        return url
    }()
    static var taskmon: String { folder.appendingPathComponent("taskmon").path }
    static var swiftExample: String { folder.appendingPathComponent("taskmon-swift-example").path }
}

/// What a finished command printed and how it exited.
struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs a binary to completion with the given environment additions.
@discardableResult
func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> RunResult {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    let out = Spawn.pipe()
    let err = Spawn.pipe()
    let pid: pid_t
    do {
        pid = try Spawn.start([executable] + arguments, environment: env, stdout: out.write, stderr: err.write)
    } catch {
        [out.read, out.write, err.read, err.write].forEach { close($0) }
        throw error
    }
    close(out.write)
    close(err.write)
    let (stdout, stderr, timedOut) = Spawn.drain(out.read, err.read, deadline: Date().addingTimeInterval(timeout))
    if timedOut {
        kill(pid, SIGKILL)
        [out.read, err.read].forEach { close($0) }
        Issue.record("\(executable) \(arguments) did not finish within \(timeout)s")
    }
    let status = Spawn.wait(pid)
    return RunResult(status: status, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
}

/// A `taskmon serve` process on a temp state dir, and helpers to run CLI commands against it.
final class ServedScheduler: @unchecked Sendable {
    let directory: StateDirectory
    private(set) var servePID: pid_t?

    init(directory: StateDirectory? = nil) {
        if let directory {
            self.directory = directory
        } else {
            var template = Array("/tmp/tme-XXXXXX".utf8CString)
            let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
            self.directory = StateDirectory(path: path)
        }
    }

    /// Starts `taskmon serve` (with `extra` options and `environment` additions) and waits until it answers.
    func start(slots: Int = 2, extra: [String] = [], environment: [String: String] = [:]) throws {
        let log = open(directory.path + "/serve.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        defer { close(log) }
        servePID = try Spawn.start(
            [Binaries.taskmon, "serve", "--state-dir", directory.path, "--slots", String(slots), "--kill-grace", "1"] + extra,
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, stdout: log, stderr: log)
        let (answered, exited) = Spawn.waitUntilServing(servePID!, directory)
        if answered { return }
        if exited { servePID = nil }
        Issue.record("taskmon serve \(exited ? "exited before it answered" : "did not answer within 60 s") on \(directory.path): \(self.log.suffix(2000))")
    }

    /// What `taskmon serve` wrote to its stdout and stderr.
    var log: String {
        (try? String(contentsOfFile: directory.path + "/serve.log", encoding: .utf8)) ?? ""
    }

    var pid: Int32 { servePID ?? 0 }

    /// `kill -9`, as a crash would.
    func crash() {
        guard let servePID else { return }
        kill(servePID, SIGKILL)
        _ = Spawn.wait(servePID)
        self.servePID = nil
    }

    func stop() {
        guard let servePID else { return }
        kill(servePID, SIGTERM)
        if Spawn.wait(servePID, seconds: 60) == nil {
            Issue.record("taskmon serve \(servePID) did not stop within 60 s of SIGTERM (killed)")
        }
        self.servePID = nil
    }

    /// Runs `taskmon ARGS --state-dir DIR`-style commands (the state dir via the environment).
    @discardableResult
    func taskmon(_ arguments: String..., environment: [String: String] = [:]) throws -> RunResult {
        var env = environment
        env["TASKMON_STATE_DIR"] = directory.path
        return try run(Binaries.taskmon, arguments, environment: env)
    }

    func client() throws -> SchedulerClient { try SchedulerClient.connect(directory) }

    func cleanUp() {
        stop()
        // A scheduler started in the background by `submit` is stopped too.
        if let client = try? SchedulerClient.connect(directory) {
            let pid = client.hello.schedulerPID
            try? client.shutdown()
            for _ in 0..<500 where kill(pid, 0) == 0 { usleep(10_000) }
        }
        try? FileManager.default.removeItem(atPath: directory.path)
    }

    /// Waits for a job to be done through the CLI's own `wait`; when it is not, records what
    /// the scheduler was doing (its threads, its children, its tasks, its log), so that a
    /// failure seen once in a stress run can be understood.
    func waitForJob(_ id: JobID) throws -> JobInfo {
        var env = ["TASKMON_STATE_DIR": directory.path]
        env.merge(ProcessInfo.processInfo.environment) { mine, _ in mine }
        // Longer than wait's own limit, so that wait says what it saw instead of being killed.
        let result = try run(Binaries.taskmon, ["wait", String(id), "--timeout", "60"], environment: env, timeout: 90)
        #expect(result.status == 0, "\(result.stderr)\n\(diagnosis(of: id))")
        return try client().job(id, includeTasks: true)
    }

    /// The scheduler's threads (name, kernel wait channel, system call), its children, the
    /// job's tasks and the end of its log.
    func diagnosis(of id: JobID) -> String {
        func read(_ path: String) -> String {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var lines = ["scheduler \(pid) threads (name, wchan, syscall):"]
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var children: [Substring] = []
        for thread in threads.sorted() {
            let task = "/proc/\(pid)/task/\(thread)"
            lines.append("  \(thread) \(read(task + "/comm")) \(read(task + "/wchan")) \(read(task + "/syscall").split(separator: " ").first ?? "")")
            // A child is listed under the thread that started it.
            children += read(task + "/children").split(separator: " ")
        }
        lines.append("children (stat, wchan):")
        for child in children {
            lines.append("  \(read("/proc/\(child)/stat")) \(read("/proc/\(child)/wchan"))")
        }
        if let job = try? client().job(id, includeTasks: true) {
            for task in job.tasks ?? [] {
                let started = task.startedAt.map { "\($0)" } ?? "-"
                lines.append("task \(task.id): \(task.status.name) started \(started) pid \(task.pid.map(String.init) ?? "-") \(task.cancellationMessage ?? "")")
            }
        } else {
            lines.append("the scheduler did not answer a job query")
        }
        lines.append("log: \(log.suffix(3000))")
        return lines.joined(separator: "\n")
    }
}

func withServedScheduler(slots: Int = 2, _ body: (ServedScheduler) throws -> Void) throws {
    let scheduler = ServedScheduler()
    defer { scheduler.cleanUp() }
    try scheduler.start(slots: slots)
    try body(scheduler)
}

/// Writes a spec file into the scheduler's temp folder and returns its path.
func writeSpec(_ json: String, in directory: StateDirectory, name: String = "job.json") throws -> String {
    let path = directory.path + "/" + name
    try json.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}
