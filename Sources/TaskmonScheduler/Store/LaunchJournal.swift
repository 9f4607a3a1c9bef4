import Foundation
import TaskmonKit

/// A line for every task attempt, written before its process is started: what recovery needs
/// when a crash came between a launch and the commit that records it.
///
/// The database learns of a launch a moment later, in the commit queue's next transaction. A
/// crash in that moment (or a task that starts and ends within it) would leave an attempt
/// that ran but was never counted, and the next scheduler would run that attempt number again.
/// One `write` to this file (no fsync: it survives the process, as the WAL does) closes the gap.
final class LaunchJournal: @unchecked Sendable {
    // Used only on the scheduler's actor (records) and before it starts (reading).
    private let path: String
    private var rotatedPath: String { path + ".old" }
    private var fd: Int32 = -1
    private var written = 0

    /// Past this size the journal is emptied once everything before it is committed.
    static let compactAfter = 4 << 20

    init(stateDirectory: StateDirectory) {
        path = stateDirectory.path + "/launches.log"
    }

    /// The highest attempt journaled for each task, from what the last scheduler wrote.
    func startedAttempts() -> [TaskKey: Int] {
        Self.read(rotatedPath).merging(Self.read(path), uniquingKeysWith: max)
    }

    private static func read(_ path: String) -> [TaskKey: Int] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return [:] }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size <= 64 << 20 else { return [:] }
        var data = Data(count: Int(info.st_size))
        let n = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return [:] }
        var attempts: [TaskKey: Int] = [:]
        for line in data.prefix(n).split(separator: UInt8(ascii: "\n")) {
            let fields = line.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
            guard fields.count == 3, let job = JobID(fields[0]), let task = TaskIndex(fields[1]), let attempt = Int(fields[2]),
                  job > 0, task >= 0, attempt > 0 else { continue }
            let key = TaskKey(job: job, task: task)
            attempts[key] = max(attempts[key] ?? 0, attempt)
        }
        return attempts
    }

    /// Opens the journal empty: what it held has been taken into account by recovery.
    func start() {
        unlink(rotatedPath)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        written = 0
    }

    /// Notes that `attempt` of `key` is about to start.
    func record(_ key: TaskKey, attempt: Int) {
        guard fd >= 0 else { return }
        let line = "\(key.job) \(key.task) \(attempt)\n"
        written += line.utf8.count
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }

    /// Whether the journal has grown enough to start a new one.
    var wantsCompaction: Bool { written > Self.compactAfter }

    /// Moves the journal aside (recovery still reads it) and starts a new one.
    func rotate() {
        guard fd >= 0 else { return }
        close(fd)
        rename(path, rotatedPath)
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0o600)
        written = 0
    }

    /// Drops the journal moved aside; call once everything it records is committed.
    func dropRotated() {
        unlink(rotatedPath)
    }
}
