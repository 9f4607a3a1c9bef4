import Foundation
import Synchronization

/// Gets a run's spool ready on this machine: its job's folder made (once per job) and, for a new
/// attempt, the last attempt's files removed, so that it starts with fresh output.
/// Plain syscalls: this runs for every task on the hot path.
final class SpoolPreparer: Sendable {
    private let readyFolders = Mutex<Set<String>>([])

    func prepare(_ request: LaunchRequest) {
        let folder = (request.stdoutPath as NSString).deletingLastPathComponent
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
}
