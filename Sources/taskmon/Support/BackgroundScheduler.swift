import CTaskmonPOSIX
import Foundation
import TaskmonKit

/// Starts `taskmon serve` detached from the terminal, for commands that need a scheduler.
enum BackgroundScheduler {
    /// Spawns the scheduler in a session of its own with output to the state dir's log,
    /// then waits until it answers; returns its pid.
    static func start(_ directory: StateDirectory) throws -> Int32 {
        // Its log goes into the state dir: never into one that others can write (the scheduler
        // would refuse it anyway, after we had written there).
        var info = stat()
        if stat(directory.path, &info) == 0 {
            guard info.st_uid == geteuid(), info.st_mode & 0o022 == 0 else {
                throw CLIError("refusing the state dir \(directory.path): it is not a folder of yours that only you can write; choose another with --state-dir")
            }
        }
        try? FileManager.default.createDirectory(
            atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).path
        let selfPath = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable
        let argv = [selfPath, "serve", "--state-dir", directory.path]
        var fileActions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&fileActions)
        defer { posix_spawn_file_actions_destroy(&fileActions) }
        posix_spawn_file_actions_addopen(&fileActions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&fileActions, 1, directory.logPath, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0o600)
        posix_spawn_file_actions_adddup2(&fileActions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, ctaskmon_posix_spawn_setsid_flag())
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        let result = posix_spawn(&pid, selfPath, &fileActions, &attributes, cArgs, environ)
        guard result == 0 else {
            throw CLIError("cannot start a scheduler (\(selfPath)): \(String(cString: strerror(result)))")
        }
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? SchedulerClient.connect(directory)) != nil { return pid }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let log = (try? String(contentsOfFile: directory.logPath, encoding: .utf8)) ?? ""
                let lastLine = log.split(separator: "\n").last.map(String.init) ?? "no message"
                throw CLIError("the scheduler exited at once: \(lastLine)")
            }
            usleep(20_000)
        }
        throw CLIError("started a scheduler (pid \(pid)) but it did not answer within 10 s; see \(directory.logPath)")
    }
}
