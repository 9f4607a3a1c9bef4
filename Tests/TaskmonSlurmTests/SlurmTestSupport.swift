import CTaskmonPOSIX
import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Whether this machine can run a real Slurm cluster for the tests; when it cannot, every test
/// says `skipped: …` with the reason (the suites are disabled, never silently passed).
enum SlurmAvailability {
    static let problem: String? = {
        for tool in ["slurmctld", "slurmd", "munged", "mungekey", "sbatch", "squeue", "scancel", "scontrol"] {
            let found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/bin", "/usr/local/sbin"].contains {
                FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
            }
            if !found { return "Slurm is not installed (\(tool) missing; apt-get install slurmctld slurmd slurm-client munge)" }
        }
        if getuid() != 0 { return "the test cluster's daemons need root" }
        return nil
    }()

    static var available: Bool {
        if let problem {
            print("skipped: \(problem)")
            return false
        }
        return true
    }
}

/// Waits until `condition` holds, checking every 100 ms, for at most `seconds`.
func eventually(_ what: String, within seconds: Double = 60, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out after \(seconds) s waiting for \(what)")
    throw TestTimeout(what: what)
}

/// A shell snippet that waits until `path` exists, looking `tries` times `every` seconds apart
/// (its backstop): a task that ends only when its test lets it.
func waitForFile(_ path: String, tries: Int, every seconds: String) -> String {
    "i=0; while [ ! -e '\(path)' ] && [ $i -lt \(tries) ]; do sleep \(seconds); i=$((i + 1)); done"
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

struct CommandResult: Sendable {
    var status: Int32
    var output: String
    var errors: String
}

/// Runs a command to its end (at most `timeout` seconds; then it is killed). Blocking: call it
/// through ``offPool(_:)``.
func runCommand(_ argv: [String], environment: [String: String] = [:], timeout: Double = 60) throws -> CommandResult {
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    var out: [Int32] = [-1, -1]
    var err: [Int32] = [-1, -1]
    _ = ctaskmon_pipe_cloexec(&out)
    _ = ctaskmon_pipe_cloexec(&err)
    let pid = try spawn(argv, environment: env, stdout: out[1], stderr: err[1])
    close(out[1])
    close(err[1])
    var outputs = [Data(), Data()]
    var open = [out[0], err[0]]
    var buffer = [UInt8](repeating: 0, count: 65536)
    let deadline = Date().addingTimeInterval(timeout)
    var timedOut = false
    while open.contains(where: { $0 >= 0 }) {
        let left = deadline.timeIntervalSinceNow
        if left <= 0 {
            timedOut = true
            break
        }
        var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        if poll(&fds, 2, Int32(min(left, 1) * 1000)) < 0 && errno != EINTR { break }
        for index in 0..<2 where open[index] >= 0 && fds[index].revents != 0 {
            let n = read(open[index], &buffer, buffer.count)
            if n > 0 {
                outputs[index].append(contentsOf: buffer[0..<n])
            } else if n == 0 || errno != EINTR {
                close(open[index])
                open[index] = -1
            }
        }
    }
    open.filter { $0 >= 0 }.forEach { close($0) }
    if timedOut { kill(pid, SIGKILL) }
    let status = waitFor(pid)
    if timedOut { Issue.record("\(argv) did not finish within \(timeout) s") }
    return CommandResult(status: status, output: String(decoding: outputs[0], as: UTF8.self), errors: String(decoding: outputs[1], as: UTF8.self))
}

func spawn(_ argv: [String], environment: [String: String], stdout: Int32, stderr: Int32) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArgs.forEach { free($0) }
        cEnv.forEach { free($0) }
    }
    // Signals as a fresh process has them: test threads may block some, and ignored ones
    // survive exec; a daemon started with SIGTERM blocked would never stop when asked.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    var allSignals = sigset_t()
    withUnsafeMutableBytes(of: &allSignals) { _ = $0.initializeMemory(as: UInt8.self, repeating: 0xFF) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    posix_spawnattr_setsigdefault(&attributes, &allSignals)
    var pid: pid_t = 0
    let result = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
    guard result == 0 else { throw SlurmTestError("cannot start \(argv[0]): \(String(cString: strerror(result)))") }
    return pid
}

/// Reaps `pid`; its exit status, or 128 + the signal that killed it.
func waitFor(_ pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
}

struct SlurmTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A fresh temp folder under /tmp (short: socket paths have a length limit).
func makeTempFolder(_ prefix: String) -> String {
    var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}

/// The repository's root, from this file's place in it.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// The built `taskmon` binary, next to the test bundle.
let taskmonBinary: String = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while !FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("taskmon").path), url.path != "/" {
        url.deleteLastPathComponent()
    }
    return url.appendingPathComponent("taskmon").path
}()
