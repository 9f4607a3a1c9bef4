import CTaskmonPOSIX
import Foundation
import Glibc

/// What a Slurm command printed, and how it ended.
struct SlurmCommandOutput: Sendable {
    var status: Int32
    var output: Data
    var errors: String
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }
    var text: String { String(decoding: output, as: UTF8.self) }

    /// The first line of stderr (or stdout), for a message.
    var problem: String {
        if timedOut { return "no answer in time" }
        let lines = (errors.isEmpty ? text : errors).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return lines.first { !$0.isEmpty } ?? "exit status \(status)"
    }
}

/// Runs the Slurm client tools (sbatch, squeue, scancel, scontrol) as child processes with a
/// deadline, on whatever thread calls it — the Slurm backend's own queue, never the scheduler's
/// actor or the cooperative pool: a command blocks that thread until it ends.
///
/// Reaps exactly its own child (never `waitpid(-1)`), so it coexists with the process reaper.
struct SlurmCommand: Sendable {
    /// Absolute paths of the tools, by name.
    let tools: [String: String]
    /// The environment the tools run with (SLURM_CONF among it).
    let environment: [String: String]

    static let toolNames = ["sbatch", "squeue", "scancel", "scontrol"]

    /// Finds every tool on `searchPath`; throws naming the first one missing.
    init(searchPath: String?, environment: [String: String]) throws(SlurmSetupError) {
        var tools: [String: String] = [:]
        let path = searchPath ?? environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for name in Self.toolNames {
            guard let found = ExecutableLookup.resolve(name, path: path, workingDirectory: "/") else {
                throw SlurmSetupError("Slurm is not installed here: \(name) not found on PATH (\(path))")
            }
            tools[name] = found
        }
        self.tools = tools
        self.environment = environment
    }

    /// Runs `tool arguments…`, with `extraEnvironment` on top of the usual, killed at `timeout`.
    func run(_ tool: String, _ arguments: [String], timeout: Duration, environment extraEnvironment: [String: String]? = nil) -> SlurmCommandOutput {
        guard let executable = tools[tool] else { return SlurmCommandOutput(status: 127, output: Data(), errors: "\(tool) unknown", timedOut: false) }
        var env = extraEnvironment ?? environment
        if extraEnvironment != nil, let conf = environment["SLURM_CONF"] { env["SLURM_CONF"] = conf }
        return Self.spawn(executable, [tool] + arguments, env, timeout: timeout)
    }

    private static func spawn(_ executable: String, _ argv: [String], _ environment: [String: String], timeout: Duration) -> SlurmCommandOutput {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard ctaskmon_pipe_cloexec(&out) == 0 else { return failure("cannot make a pipe: \(errorText(errno))") }
        guard ctaskmon_pipe_cloexec(&err) == 0 else {
            out.forEach { close($0) }
            return failure("cannot make a pipe: \(errorText(errno))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        // Nothing else of the scheduler's (sockets, the database) reaches the tool.
        _ = ctaskmon_spawn_file_actions_addclosefrom(&actions, 3)
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        // Signals as a fresh process has them: the calling thread may block some (GCD and test
        // threads do), and ignored ones survive exec; a daemon or tool started with SIGTERM
        // blocked would never stop when asked.
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
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, cArgs, cEnv)
        close(out[1])
        close(err[1])
        guard spawned == 0 else {
            close(out[0])
            close(err[0])
            return failure("cannot run \(executable): \(errorText(spawned))")
        }
        let deadline = ContinuousClock.now + timeout
        var output = Data()
        var errors = Data()
        var open: [(fd: Int32, isOutput: Bool)] = [(out[0], true), (err[0], false)]
        var timedOut = false
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while !open.isEmpty {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                timedOut = true
                break
            }
            var fds = open.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
            let millis = Int32(min(Double(left.components.seconds) * 1000 + Double(left.components.attoseconds) / 1e15 + 1, 60_000))
            let ready = poll(&fds, nfds_t(fds.count), millis)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { continue }
            var closed: [Int32] = []
            for entry in fds where entry.revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    closed.append(entry.fd)
                } else if open.first(where: { $0.fd == entry.fd })?.isOutput == true {
                    output.append(contentsOf: buffer[0..<n])
                } else if errors.count < 1 << 20 {
                    errors.append(contentsOf: buffer[0..<n])
                }
            }
            for fd in closed { close(fd) }
            open.removeAll { closed.contains($0.fd) }
        }
        open.forEach { close($0.fd) }
        if timedOut { kill(pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = ctaskmon_wifexited(status) != 0 ? ctaskmon_wexitstatus(status) : 128 + ctaskmon_wtermsig(status)
        return SlurmCommandOutput(status: code, output: output, errors: String(decoding: errors, as: UTF8.self), timedOut: timedOut)
    }

    private static func failure(_ message: String) -> SlurmCommandOutput {
        SlurmCommandOutput(status: 127, output: Data(), errors: message, timedOut: false)
    }
}

/// Why the Slurm backend cannot start: one message for the person starting the scheduler.
public struct SlurmSetupError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
