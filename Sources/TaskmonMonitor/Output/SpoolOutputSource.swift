import Foundation
import Synchronization
import TaskmonKit
#if canImport(Glibc)
import Glibc
#endif

/// A task's stream read through the scheduler until it is complete, then straight from its
/// spool file when the monitor runs on the scheduler's machine.
///
/// Over the socket every byte travels base64 in JSON: fine for a screenful, but a search of a
/// gigabyte log took a minute that way. A finished stream does not change (a retry gives the
/// task a new attempt, and the monitor opens a new document for it), so once the scheduler
/// says a stream is complete and the file there has exactly its size, reads go to the file
/// with `pread`: a search runs at the speed of `grep`. The file is opened without following
/// links and only if it is a regular file; anything unexpected keeps the scheduler's path.
package final class SpoolOutputSource: OutputSource, Sendable {
    private let remote: any OutputSource & Sendable
    private let path: String
    private let local = Mutex<Int32?>(nil)
    /// When the scheduler was last asked whether the stream is complete.
    private let lastProbe = Mutex<ContinuousClock.Instant?>(nil)

    /// `remote` reads through the scheduler; `stateDirectory` says where its spool files are.
    package convenience init(remote: SchedulerOutputSource, stateDirectory: StateDirectory) {
        self.init(remote: remote, job: remote.job, task: remote.task, stream: remote.stream, attempt: remote.attempt,
                  stateDirectory: stateDirectory)
    }

    /// The `stream` of task `task` of job `job` (of its earlier `attempt`, whose files are kept
    /// under its number): read from `remote` until it is complete.
    package init(remote: any OutputSource & Sendable, job: JobID, task: TaskIndex, stream: OutputStreamName,
                 attempt: Int? = nil, stateDirectory: StateDirectory) {
        self.remote = remote
        let spool = attempt.map { stateDirectory.attemptSpool(job: job, task: task, attempt: $0) }
            ?? stateDirectory.taskSpool(job: job, task: task)
        path = spool + "." + (stream == .stdout ? "stdout" : "stderr")
    }

    deinit {
        if let fd = local.withLock({ $0 }) { close(fd) }
    }

    /// The spool file (read once the stream is complete).
    package var localPath: String { path }

    /// Whether reads now go to the spool file.
    package var readsLocally: Bool { local.withLock { $0 != nil } }

    package func read(offset: Int64, length: Int) throws -> OutputChunk {
        if let fd = local.withLock({ $0 }), let chunk = Self.pread(fd, offset: offset, length: length) {
            return chunk
        }
        let chunk = try remote.read(offset: offset, length: length)
        if chunk.complete {
            openLocal(expectedSize: chunk.size)
        } else if shouldProbe() {
            // A read from the middle does not say whether the stream is finished: asking at
            // its end does (once a second at most, so a running task costs one small read).
            let probe = try remote.read(offset: chunk.size, length: 0)
            if probe.complete { openLocal(expectedSize: probe.size) }
        }
        return chunk
    }

    private func shouldProbe() -> Bool {
        lastProbe.withLock { last in
            let now = ContinuousClock.now
            guard last.map({ now - $0 >= .seconds(1) }) ?? true else { return false }
            last = now
            return true
        }
    }

    private func openLocal(expectedSize: Int64) {
        local.withLock { current in
            guard current == nil else { return }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
            guard fd >= 0 else { return }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int64(info.st_size) == expectedSize else {
                close(fd)
                return
            }
            current = fd
        }
    }

    /// A complete chunk from the file, or nil when it cannot be read (the caller asks the
    /// scheduler instead).
    private static func pread(_ fd: Int32, offset: Int64, length: Int) -> OutputChunk? {
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        let size = Int64(info.st_size)
        let start = max(0, offset)
        let wanted = Int(max(0, min(Int64(max(0, length)), size - start)))
        var data = Data(count: wanted)
        var filled = 0
        while filled < wanted {
            let n = data.withUnsafeMutableBytes { buffer in
                Glibc.pread(fd, buffer.baseAddress! + filled, wanted - filled, off_t(start) + off_t(filled))
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            filled += n
        }
        return OutputChunk(offset: start, data: data, size: size, complete: true)
    }
}
