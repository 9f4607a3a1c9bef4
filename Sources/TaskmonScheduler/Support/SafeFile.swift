import Foundation

/// Opening files a task (or another user) may have tampered with, without being led astray.
///
/// Every file under the state dir that a task can reach — its channel, its output, its
/// spool folder — may have been swapped for a symlink (to `/etc/shadow`, `/dev/zero`, another
/// task's stdout), a FIFO (whose `open` blocks for ever) or a device. These helpers never follow
/// a link in the last path component (`O_NOFOLLOW`), never block in `open` (`O_NONBLOCK`), take
/// regular files only (`fstat` after opening, so there is no window between check and use),
/// owned by us, and read a bounded number of bytes.
enum SafeFile {
    /// Why a file was not used.
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// An open regular file and its size when opened.
    final class Opened {
        let fd: Int32
        let size: Int64

        init(fd: Int32, size: Int64) {
            self.fd = fd
            self.size = size
        }

        deinit { close(fd) }

        /// Up to `length` bytes from `offset` (fewer at the end of the file).
        func read(offset: Int64, length: Int) -> Data {
            let wanted = max(0, min(Int64(length), size - max(0, offset)))
            guard wanted > 0 else { return Data() }
            var data = Data(count: Int(wanted))
            var filled = 0
            while filled < data.count {
                let n = data.withUnsafeMutableBytes { buffer in
                    pread(fd, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
                }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                filled += n
            }
            data.count = filled
            return data
        }
    }

    /// Opens `path` for reading if it is a regular file of ours and not a symlink.
    ///
    /// - Returns: nil when there is no such file (not an error: output files appear on the first byte).
    /// - Throws: ``Refusal`` for a link, a FIFO, a device, a folder, or another user's file.
    static func openForReading(_ path: String) throws(Refusal) -> Opened? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        if fd < 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            if code == ELOOP { throw Refusal(description: "\(path) is a symbolic link; not followed") }
            throw Refusal(description: "cannot open \(path): \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw Refusal(description: "cannot stat \(path): \(String(cString: strerror(code)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw Refusal(description: "\(path) is \(kind(info.st_mode)), not a regular file; not read")
        }
        guard info.st_uid == geteuid() else {
            close(fd)
            throw Refusal(description: "\(path) belongs to uid \(info.st_uid), not to this scheduler's user; not read")
        }
        return Opened(fd: fd, size: Int64(info.st_size))
    }

    /// Creates `path` empty with mode 0600 (whatever the umask) unless it exists; an existing
    /// one must be a regular file of ours, not a link.
    static func createPrivateFileIfMissing(_ path: String) throws(Refusal) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd >= 0 {
            // The mode given to open is cut by the umask only downwards; fchmod makes it exact.
            fchmod(fd, 0o600)
            close(fd)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw Refusal(description: "cannot create \(path): \(String(cString: strerror(code)))")
        }
        try checkOwnedRegularFile(path)
    }

    /// Opens (creating if needed, mode 0600) a file for writing without following a link.
    static func openPrivateForWriting(_ path: String) throws(Refusal) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { throw Refusal(description: "\(path) is a symbolic link; refusing to write through it") }
            throw Refusal(description: "cannot open \(path): \(String(cString: strerror(code)))")
        }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else {
            close(fd)
            throw Refusal(description: "\(path) is not a regular file of this user; refusing to use it")
        }
        return fd
    }

    /// An existing path must be a regular file owned by us (not a link to one).
    static func checkOwnedRegularFile(_ path: String) throws(Refusal) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw Refusal(description: "\(path) is \(kind(info.st_mode)), not a regular file; refusing to use it")
        }
        guard info.st_uid == geteuid() else {
            throw Refusal(description: "\(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid())); refusing to use it")
        }
    }

    /// Makes `path` a folder of ours with mode 0700, or checks the one there: a folder (not a
    /// link), owned by us, writable by nobody else. An existing folder is never chmod-ed: it
    /// may be one the user shares on purpose, or `/tmp`.
    static func ensurePrivateDirectory(_ path: String) throws(Refusal) {
        if mkdir(path, 0o700) == 0 {
            chmod(path, 0o700)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw Refusal(description: "cannot create the folder \(path): \(String(cString: strerror(code)))")
        }
        try checkTrustedDirectory(path, followLink: false)
    }

    /// A folder we may keep state in: owned by us and not writable by group or others.
    /// With `followLink`, a symlink to such a folder is accepted (a user's own
    /// `~/.local/state/taskmon` may be one); the link's target is checked.
    static func checkTrustedDirectory(_ path: String, followLink: Bool) throws(Refusal) {
        var info = stat()
        let rc = followLink ? stat(path, &info) : lstat(path, &info)
        guard rc == 0 else {
            throw Refusal(description: "cannot use the folder \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw Refusal(description: "\(path) is \(kind(info.st_mode)), not a folder")
        }
        guard info.st_uid == geteuid() else {
            throw Refusal(description: "the folder \(path) belongs to uid \(info.st_uid), not to you (uid \(geteuid())); choose a state dir of your own")
        }
        guard info.st_mode & 0o022 == 0 else {
            throw Refusal(description: String(
                format: "the folder %@ is writable by others (mode %o); choose a state dir only you can write, e.g. a new folder (mode 700)",
                path, info.st_mode & 0o7777))
        }
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFDIR: "a folder"
        case S_IFREG: "a regular file"
        default: "a special file"
        }
    }
}
