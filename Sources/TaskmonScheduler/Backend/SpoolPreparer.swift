import Foundation
import Synchronization

/// Gets a run's spool ready on this machine: its job's folder made (once per job) and, for a new
/// attempt, the last attempt's files removed, so that it starts with fresh output.
/// Plain syscalls: this runs for every task on the hot path.
final class SpoolPreparer: Sendable {
    private let readyFolders = Mutex<Set<String>>([])

    func prepare(_ request: LaunchRequest) {
        let folder = Self.folder(of: request.stdoutPath)
        if !readyFolders.withLock({ $0.contains(folder) }) {
            mkdir(folder, 0o700)
            readyFolders.withLock { folders in
                if folders.count > 4096 { folders.removeAll() }
                folders.insert(folder)
            }
        }
        guard request.replacesEarlierAttempt else { return }
        for path in [request.stdoutPath, request.stderrPath, request.channelPath].compactMap({ $0 }) { unlink(path) }
    }

    /// The folder part of a spool path (NSString's version bridged and re-normalized the path
    /// on every launch).
    static func folder(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }
}
