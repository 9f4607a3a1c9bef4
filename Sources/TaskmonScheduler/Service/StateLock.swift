import Foundation
import Synchronization
import TaskmonKit

/// Why a scheduler could not start.
public struct SchedulerStartError: Error, CustomStringConvertible {
    public var description: String
}

/// Holds the state dir for one scheduler: an exclusive `flock` that the kernel releases
/// when the process dies, even by `kill -9`, so a stale lock never blocks a restart.
final class StateLock: Sendable {
    /// The locked file; nil once released.
    private let fd: Mutex<Int32?>

    init(_ directory: StateDirectory) throws(SchedulerStartError) {
        let path = directory.lockPath
        // Never through a link: one to a root-only file would be truncated below.
        let fd: Int32
        do throws(SafeFile.Refusal) {
            fd = try SafeFile.openPrivateForWriting(path)
        } catch {
            throw SchedulerStartError(description: error.description)
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let owner = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            let who = owner.flatMap { $0.isEmpty ? nil : "pid \($0)" } ?? "another process"
            throw SchedulerStartError(description: "another scheduler (\(who)) is already running on \(directory.path)")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        self.fd = Mutex(fd)
    }

    /// Lets another scheduler take the state dir; idempotent.
    func release() {
        fd.withLock { fd in
            guard let open = fd else { return }
            flock(open, LOCK_UN)
            close(open)
            fd = nil
        }
    }

    deinit {
        release()
    }
}
