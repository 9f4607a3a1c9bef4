import CTaskmonPOSIX
import Foundation
import Testing
import TaskmonKit

/// Starting and reaping child processes for the tests, without Foundation.Process.
///
/// Foundation.Process sometimes never notices a child's exit when many run at once (the test
/// then hangs in `waitUntilExit` beside a zombie), and a pipe it creates can leak into a child
/// another test starts at the same moment, so that reading to EOF never ends. Here pipes are
/// close-on-exec and each test waits for its own pid.
enum Spawn {
    /// Starts `argv` with stdin from /dev/null and stdout/stderr to the given descriptors.
    static func start(_ argv: [String], environment: [String: String], stdout: Int32, stderr: Int32) throws -> pid_t {
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
        var pid: pid_t = 0
        let result = posix_spawn(&pid, argv[0], &actions, nil, cArgs, cEnv)
        guard result == 0 else { throw SpawnError(message: "cannot start \(argv[0]): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Waits for `pid` and returns its exit status (128 + signal when killed).
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Waits up to `seconds` of the clock for `pid` to exit and returns its status, or nil
    /// (it is then SIGKILLed and reaped, unless `killingAtDeadline` is false, so that no test
    /// waits for ever on a process that missed the signal meant to stop it).
    static func wait(_ pid: pid_t, seconds: Double, killingAtDeadline: Bool = true) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let signal = status & 0x7f
                return signal == 0 ? (status >> 8) & 0xff : 128 + signal
            }
            if reaped < 0 && errno != EINTR { return nil }
            usleep(10_000)
        }
        guard killingAtDeadline else { return nil }
        kill(pid, SIGKILL)
        _ = wait(pid)
        return nil
    }

    /// Waits until a just-started `taskmon serve` (`pid`) answers on `directory`: true once it
    /// does, false if it exited first (its status is then reaped) or `seconds` of the clock
    /// passed. Counted on the clock, not in sleeps: a loaded machine stretches every sleep, and
    /// a scheduler there can take many seconds to open its database and socket.
    static func waitUntilServing(_ pid: pid_t, _ directory: StateDirectory, seconds: Double = 60) -> (answered: Bool, exited: Bool) {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if (try? SchedulerClient.connect(directory, timeout: .seconds(5))) != nil { return (true, false) }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return (false, true) }
            usleep(10_000)
        } while Date() < deadline
        return (false, false)
    }

    /// A pipe whose both ends are close-on-exec.
    static func pipe() -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        _ = ctaskmon_pipe_cloexec(&fds)
        return (fds[0], fds[1])
    }

    /// Reads both descriptors until both reach EOF or the deadline passes.
    static func drain(_ first: Int32, _ second: Int32, deadline: Date) -> (Data, Data, timedOut: Bool) {
        var outputs = [Data(), Data()]
        var open = [first, second]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while open.contains(where: { $0 >= 0 }) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return (outputs[0], outputs[1], true) }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 1) * 1000))
            if ready < 0 && errno != EINTR { break }
            for index in 0..<2 where open[index] >= 0 && fds[index].revents != 0 {
                let n = read(open[index], &buffer, buffer.count)
                if n > 0 {
                    outputs[index].append(contentsOf: buffer[0..<n])
                } else if n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN) {
                    close(open[index])
                    open[index] = -1
                }
            }
        }
        return (outputs[0], outputs[1], false)
    }
}

struct SpawnError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
