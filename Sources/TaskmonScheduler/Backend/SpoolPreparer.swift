import Foundation
import Synchronization

/// Gets a run's spool ready on this machine: its job's folder made (once per job) and, for a new
/// attempt, the last attempt's files moved aside (or removed), so that it starts with fresh output.
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
        Self.clearEarlierAttempt(request)
    }

    /// Moves the last attempt's files to where earlier attempts are kept (or removes them, when
    /// they are not kept): the new attempt's output starts empty.
    ///
    /// A hard link then an unlink, never a rename over: `link` fails rather than replace a kept
    /// file, so doing this again (a launch that failed and is tried once more, a restart between
    /// the two calls) can never overwrite an attempt's kept output with a later non-run's; and
    /// neither call follows a link a task may have put in its spool's place.
    static func clearEarlierAttempt(_ request: LaunchRequest) {
        guard request.replacesEarlierAttempt else { return }
        let streams = [(request.stdoutPath, ".stdout"), (request.stderrPath, ".stderr")]
            + (request.channelPath.map { [($0, ".channel")] } ?? [])
        for (path, suffix) in streams {
            if let keep = request.keepsEarlierAttemptAs, link(path, keep + suffix) != 0 {
                switch errno {
                case ENOENT: continue  // nothing printed on this stream
                case EEXIST: break  // kept already: this file is a later non-run's
                default:
                    // A filesystem without hard links: a rename, which does not follow links either.
                    if rename(path, keep + suffix) == 0 { continue }
                }
            }
            unlink(path)
        }
    }

    /// The folder part of a spool path (NSString's version bridged and re-normalized the path
    /// on every launch).
    static func folder(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }
}
