import Foundation
import TaskmonKit

/// Makes sure a state dir is ours before anything is written in it.
///
/// A scheduler (often root's) must never be led into writing someone else's files: a state
/// dir another user prepared could hold `scheduler.lock` as a link to a root-only file, or
/// `output` as a link to their folder. So: the state dir is created 0700 when missing (and
/// any missing parents with it); an existing one must be a folder of ours that nobody else
/// can write, and it is never chmod-ed (it may be `/tmp`, or a folder the user shares on
/// purpose). Everything in it is created with explicit modes (folders 0700, files 0600)
/// whatever the umask, and links are never followed.
enum StateDirectoryGuard {
    static func prepare(_ directory: StateDirectory) throws(SchedulerStartError) {
        do throws(SafeFile.Refusal) {
            try createMissing(directory.path)
            try SafeFile.checkTrustedDirectory(directory.path, followLink: true)
            try SafeFile.ensurePrivateDirectory(directory.outputPath)
            for file in [directory.databasePath, directory.databasePath + "-wal", directory.databasePath + "-shm",
                         directory.lockPath, directory.logPath] {
                try SafeFile.checkOwnedRegularFile(file)
            }
        } catch {
            throw SchedulerStartError(description: "refusing the state dir \(directory.path): \(error.description)")
        }
    }

    /// Creates the folder and its missing parents, each 0700; existing ones are left alone.
    private static func createMissing(_ path: String) throws(SafeFile.Refusal) {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try createMissing(parent) }
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SafeFile.Refusal(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        chmod(path, 0o700)
    }
}
