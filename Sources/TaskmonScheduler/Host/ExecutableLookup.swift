import Glibc

/// Finds the file `execvp` would run for a program name.
///
/// The launcher resolves argv[0] itself, rather than using `posix_spawnp`, because the search
/// must use the task's own PATH (its environment is complete and unrelated to the scheduler's),
/// and because a missing program deserves an error that names it and the PATH searched.
package enum ExecutableLookup {
    /// glibc's `execvp` searches this when PATH is unset (`confstr(_CS_PATH)`).
    static let defaultSearchPath = "/bin:/usr/bin"

    /// Resolves argv[0] as execvp would, with the given PATH (and cwd for relative paths with a '/').
    ///
    /// - A name containing `/` is not searched: it is taken relative to `workingDirectory`
    ///   (or the current directory) and must be an executable regular file.
    /// - Otherwise each PATH entry is tried in order; an empty entry means the working directory.
    ///   Candidates that exist but are not executable files are skipped, as execvp does.
    /// - A nil `path` searches `/bin:/usr/bin`, execvp's default.
    ///
    /// - Returns: the absolute path, or nil if nothing runnable was found.
    package static func resolve(_ program: String, path: String?, workingDirectory: String?) -> String? {
        if program.isEmpty { return nil }
        if program.utf8.contains(UInt8(ascii: "/")) {
            let candidate = absolute(program, in: workingDirectory)
            return isExecutableFile(candidate) ? candidate : nil
        }
        for directory in searchDirectories(path) {
            let candidate = absolute(directory + program, in: workingDirectory)
            if isExecutableFile(candidate) { return candidate }
        }
        return nil
    }

    /// Why `resolve` returned nil, as the tail of a "cannot run 'x': ..." message.
    /// Only called on the failure path, so it may do extra system calls.
    static func explainFailure(_ program: String, path: String?, workingDirectory: String?) -> String {
        if program.isEmpty { return "empty program name" }
        if program.utf8.contains(UInt8(ascii: "/")) {
            return describeUnrunnable(absolute(program, in: workingDirectory)) ?? "no such file or directory"
        }
        for directory in searchDirectories(path) {
            let candidate = absolute(directory + program, in: workingDirectory)
            if let reason = describeUnrunnable(candidate) {
                return "\(reason): \(candidate)"
            }
        }
        let searched = path.map { "PATH=\($0)" } ?? "PATH unset, so \(defaultSearchPath)"
        return "no such file or directory (looked in \(searched))"
    }

    /// True when every PATH entry is absolute, i.e. the search result does not depend on the
    /// working directory and may be cached by (program, PATH) alone.
    static func searchIsDirectoryIndependent(_ path: String?) -> Bool {
        guard let path else { return true }
        return pathEntries(path).allSatisfy { $0.utf8.first == UInt8(ascii: "/") }
    }

    private static func pathEntries(_ path: String?) -> [Substring] {
        (path ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false)
    }

    /// Each PATH entry as a prefix to put before the program name. An empty entry means the
    /// current (here: working) directory, as in execvp, so its prefix is empty too.
    private static func searchDirectories(_ path: String?) -> [String] {
        pathEntries(path).map { entry in
            entry.isEmpty || entry.utf8.last == UInt8(ascii: "/") ? String(entry) : String(entry) + "/"
        }
    }

    private static func absolute(_ file: String, in workingDirectory: String?) -> String {
        if file.utf8.first == UInt8(ascii: "/") { return file }
        var file = Substring(file)
        while file.hasPrefix("./") { file = file.dropFirst(2) }
        var base = workingDirectory ?? currentDirectory()
        if base.utf8.first != UInt8(ascii: "/") { base = currentDirectory() + "/" + base }
        return base.utf8.last == UInt8(ascii: "/") ? base + file : base + "/" + file
    }

    private static func currentDirectory() -> String {
        guard let buffer = getcwd(nil, 0) else { return "/" }
        defer { free(buffer) }
        return String(cString: buffer)
    }

    private static func isExecutableFile(_ file: String) -> Bool {
        var info = stat()
        guard stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return false }
        return access(file, X_OK) == 0
    }

    /// Nil when the file does not exist at all; otherwise why it cannot be run.
    private static func describeUnrunnable(_ file: String) -> String? {
        var info = stat()
        guard stat(file, &info) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? nil : String(cString: strerror(errno))
        }
        if info.st_mode & S_IFMT == S_IFDIR { return "is a directory" }
        if info.st_mode & S_IFMT != S_IFREG || access(file, X_OK) != 0 { return "permission denied" }
        return nil
    }
}
