import CTaskmonPOSIX
import Glibc
import Synchronization

/// How a child ended.
package enum ProcessTermination: Sendable, Equatable {
    /// It exited with this code (0...255). -1 means the status was lost because something else
    /// in this process reaped the child first (a `waitpid(-1)`, or SIGCHLD set to SIG_IGN).
    case exited(Int32)
    /// It was killed by this signal.
    case signaled(Int32)
}

/// Why a process could not be started, as one line fit for a task's error field.
package struct LaunchError: Error, Sendable, CustomStringConvertible, Equatable {
    package var message: String
    /// The machine was out of something for a moment (processes, memory, descriptors): not the
    /// task's fault, so it waits and runs later instead of failing.
    package var transient: Bool
    package var description: String { message }

    package init(message: String, transient: Bool = false) {
        self.message = message
        self.transient = transient
    }

    /// Errors that say the machine, not the task, is the problem.
    package static func isTransient(_ code: Int32) -> Bool {
        code == EAGAIN || code == ENOMEM || code == EMFILE || code == ENFILE
    }
}

/// Starts host processes (``ctaskmon_spawn``: posix_spawn's steps in a vfork child) and reports
/// each one's end exactly once.
package final class ProcessLauncher: Sendable {
    private struct LookupKey: Hashable {
        var program: String
        var path: String?
    }

    private let reaper: ProcessReaper
    /// Resolved executables, so steady-state launches skip the PATH walk. Only entries whose
    /// resolution cannot depend on the working directory are stored.
    private let lookupCache = Mutex<[LookupKey: String]>([:])
    private static let lookupCacheLimit = 256

    /// `onExit` is called once per child we launched, from the reaper's own thread, with the pid and how it ended.
    ///
    /// It can run before `launch` has returned that pid to its caller (a short-lived child may be
    /// reaped first), so callers must accept an exit for a pid they have not recorded yet.
    /// It is never called for a launch that threw. Keep it short: it delays the reaping of other children.
    /// With `killGroupOnExit`, what is left of a child's process group (background children)
    /// is killed when the child itself has exited, just before it is reaped.
    package convenience init(killGroupOnExit: Bool = false, onExit: @escaping @Sendable (Int32, ProcessTermination) -> Void) {
        self.init(killGroupOnExit: killGroupOnExit) { pid, termination, _ in onExit(pid, termination) }
    }

    /// Like ``init(killGroupOnExit:onExit:)``, with what the child used (nil when its status was lost).
    /// With `pump` (one made ``OutputPump/init(servedElsewhere:)``), the pump's streams are
    /// served from the reaper's thread; with `loop`, the reaper has no thread of its own and is
    /// served from the loop's.
    package init(
        killGroupOnExit: Bool = false, pump: OutputPump? = nil, loop: SchedulerLoop? = nil,
        onExitWithUsage: @escaping @Sendable (Int32, ProcessTermination, ResourceUsage?) -> Void
    ) {
        reaper = ProcessReaper(
            killGroupOnExit: killGroupOnExit, pump: pump?.servedElsewhere, loop: loop, onExit: onExitWithUsage)
    }

    /// Starts watching (and so reaping) a process that became our child without us launching
    /// it: an orphan reparented to us as its subreaper. Its exit is reported like any other.
    package func adopt(_ pid: Int32) throws(LaunchError) {
        try reaper.adopt(pid)
    }


    deinit {
        reaper.stopWhenIdle()
    }

    /// Starts the process in a NEW PROCESS GROUP of its own (pgid == pid), stdin from /dev/null, signal mask cleared and
    /// all signals at default disposition in the child, no file descriptors leaked (everything else CLOEXEC),
    /// and returns its pid. Throws LaunchError when it cannot start (missing executable, bad cwd, permission).
    /// With `cgroup`, the child starts inside that cgroup (``TaskCgroups``).
    package func launch(_ request: LaunchRequest, cgroup: (TaskCgroups, TaskCgroups.Group)? = nil) throws(LaunchError) -> Int32 {
        if let problem = reaper.setupProblem { throw LaunchError(message: problem) }
        guard let program = request.argv.first else {
            throw LaunchError(message: "cannot run an empty command line")
        }
        let argv = try CStringArray(arguments: request.argv)
        let envp = try CStringArray(environment: request.environment)
        let searchPath = request.environment["PATH"]
        let cwd = request.workingDirectory

        guard case (var executable, let cached)? = resolve(program, path: searchPath, workingDirectory: cwd) else {
            if let cwd, let problem = directoryProblem(cwd) {
                throw LaunchError(message: "cannot change directory to \(cwd): \(problem)")
            }
            let reason = ExecutableLookup.explainFailure(program, path: searchPath, workingDirectory: cwd)
            throw LaunchError(message: "cannot run '\(program)': \(reason)")
        }
        // Spawned and watched under one process-wide gate, so that an orphan sweep never takes
        // a child being launched (by any launcher in the process) for an orphan.
        let spawned = Self.spawnGate.withLock { _ -> Result<Int32, LaunchError> in
            func spawnInCgroup(_ executable: String) -> Spawned {
                guard let (cgroups, group) = cgroup else { return spawn(executable, request, argv: argv, envp: envp, cgroupEntry: nil) }
                let spawned = spawn(executable, request, argv: argv, envp: envp, cgroupEntry: cgroups.entry(for: group))
                if spawned.errno == 0, spawned.cgroupErrno != 0 { cgroups.couldNotEnter(group, spawned.cgroupErrno) }
                return spawned
            }
            var spawned = spawnInCgroup(executable)
            if spawned.errno != 0, cached {
                // The cached file may have been removed or moved since; look again before giving up.
                lookupCache.withLock { _ = $0.removeValue(forKey: Self.cacheKey(program, path: searchPath)) }
                if let fresh = resolve(program, path: searchPath, workingDirectory: cwd), fresh.path != executable {
                    executable = fresh.path
                    spawned = spawnInCgroup(executable)
                }
            }
            if spawned.errno != 0 { return .failure(diagnose(spawned.errno, request, executable: executable)) }
            do throws(LaunchError) {
                try reaper.watch(spawned.pid, pidfd: spawned.pidfd)
            } catch {
                return .failure(error)
            }
            return .success(spawned.pid)
        }
        return try spawned.get()
    }

    private static let spawnGate = Mutex(())

    /// Runs `body` while no launcher of this process is between spawning a child and watching it.
    package static func whileNoSpawnInFlight<T>(_ body: () -> T) -> T {
        spawnGate.withLock { _ in body() }
    }

    /// Whether `pid` is a child some launcher of this process watches and has not reaped.
    package static func isWatchedByAnyLauncher(_ pid: Int32) -> Bool { ProcessReaper.isWatchedByAny(pid) }

    /// Sends `signal` to the whole process group of `pid` (kill(-pid, sig)), but only while
    /// `pid` is our child and not yet reaped: afterwards its group id may belong to someone else.
    /// Pids below 2 are ignored, since kill(0) and kill(-1) would hit the scheduler's own group
    /// or every process it may signal. Returns whether the signal was sent.
    @discardableResult
    package func signalGroup(_ pid: Int32, _ signal: Int32) -> Bool {
        reaper.signalGroupIfUnreaped(pid, signal)
    }

    /// Number of children launched and not yet reaped.
    package var liveChildren: Int { reaper.liveChildren }

    /// Runs `body` while `pid` is a child of this launcher not yet reaped (its number cannot be
    /// reused meanwhile); nil, without running it, once it has been reaped.
    package func whileUnreaped<T>(_ pid: Int32, _ body: () -> T) -> T? {
        reaper.whileUnreaped(pid, body)
    }

    // MARK: - Internals

    private static func cacheKey(_ program: String, path: String?) -> LookupKey {
        // An absolute program does not depend on PATH at all.
        LookupKey(program: program, path: program.utf8.first == UInt8(ascii: "/") ? nil : path)
    }

    private func resolve(_ program: String, path: String?, workingDirectory: String?) -> (path: String, cached: Bool)? {
        let key = Self.cacheKey(program, path: path)
        if let hit = lookupCache.withLock({ $0[key] }) { return (hit, true) }
        guard let resolved = ExecutableLookup.resolve(program, path: path, workingDirectory: workingDirectory) else {
            return nil  // not cached: the program may be installed later
        }
        let hasSlash = program.utf8.contains(UInt8(ascii: "/"))
        let cacheable = hasSlash
            ? program.utf8.first == UInt8(ascii: "/")
            : ExecutableLookup.searchIsDirectoryIndependent(path)
        if cacheable {
            lookupCache.withLock { cache in
                if cache.count >= Self.lookupCacheLimit { cache.removeAll(keepingCapacity: true) }
                cache[key] = resolved
            }
        }
        return (resolved, false)
    }

    /// A started child (its pid and pidfd), or the errno its start failed with.
    private struct Spawned {
        var pid: Int32
        var pidfd: Int32
        var errno: Int32
        /// Why it could not enter its cgroup (it runs outside it), or 0.
        var cgroupErrno: Int32 = 0
    }

    /// Starts the child (``ctaskmon_spawn``).
    /// With `cgroupEntry` (``TaskCgroups/entry(for:)``), the child enters that cgroup itself.
    private func spawn(
        _ executable: String, _ request: LaunchRequest, argv: borrowing CStringArray, envp: borrowing CStringArray,
        cgroupEntry: Int32?
    ) -> Spawned {
        var result = spawnOnce(executable, request, argv: argv, envp: envp, cgroupEntry: cgroupEntry)
        // ETXTBSY is usually transient: a file just written by this process (a staged script, say)
        // stays open for writing in any child another thread is forking until that child execs.
        // Waiting (only on this failure path) lets those children get there: a few milliseconds
        // usually, but up to half a second in all on a loaded machine, where such a child may
        // wait that long for a core before it reaches exec.
        var delay: UInt32 = 1_000
        while result.errno == ETXTBSY, delay <= 256_000 {
            usleep(delay)
            delay *= 2
            result = spawnOnce(executable, request, argv: argv, envp: envp, cgroupEntry: cgroupEntry)
        }
        return result
    }

    private func spawnOnce(
        _ executable: String, _ request: LaunchRequest, argv: borrowing CStringArray, envp: borrowing CStringArray,
        cgroupEntry: Int32?
    ) -> Spawned {
        var pid: pid_t = 0
        var pidfd: Int32 = -1
        var cgroupErrno: Int32 = 0
        let failure = executable.withCString { path in
            request.stdoutPath.withCString { stdoutPath in
                request.stderrPath.withCString { stderrPath in
                    withOptionalCString(request.workingDirectory) { cwd in
                        let pipes = request.stdoutDescriptor != nil && request.stderrDescriptor != nil
                        var plan = ctaskmon_spawn_plan(
                            path: path, argv: argv.pointers, envp: envp.pointers,
                            stdin_fd: request.stdinDescriptor ?? -1,
                            stdout_fd: pipes ? request.stdoutDescriptor! : -1,
                            stderr_fd: pipes ? request.stderrDescriptor! : -1,
                            stdout_path: stdoutPath, stderr_path: stderrPath, cwd: cwd,
                            cgroup_tasks_fd: cgroupEntry ?? -1)
                        return ctaskmon_spawn(&plan, &pid, &pidfd, &cgroupErrno)
                    }
                }
            }
        }
        return Spawned(pid: pid, pidfd: pidfd, errno: failure, cgroupErrno: cgroupErrno)
    }

    private func withOptionalCString<T>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
    }

    /// The spawn reports only an errno, not which step failed; redo the steps here, in the
    /// child's order, to name the culprit. Only runs when a launch has already failed.
    private func diagnose(_ failure: Int32, _ request: LaunchRequest, executable: String) -> LaunchError {
        for (stream, path) in [("stdout", request.stdoutPath), ("stderr", request.stderrPath)] where request.stdoutDescriptor == nil {
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd < 0 { return LaunchError(message: "cannot open \(stream) file \(path): \(errorText(errno))") }
            close(fd)
        }
        if let cwd = request.workingDirectory, let problem = directoryProblem(cwd) {
            return LaunchError(message: "cannot change directory to \(cwd): \(problem)")
        }
        let program = request.argv[0]
        let shown = program == executable ? "'\(program)'" : "'\(program)' (\(executable))"
        return LaunchError(message: "cannot run \(shown): \(errorText(failure))", transient: LaunchError.isTransient(failure))
    }

    /// Why chdir to `directory` would fail, or nil if it would not.
    private func directoryProblem(_ directory: String) -> String? {
        var info = stat()
        if stat(directory, &info) != 0 { return errorText(errno) }
        if info.st_mode & S_IFMT != S_IFDIR { return errorText(ENOTDIR) }
        if access(directory, X_OK) != 0 { return errorText(errno) }
        return nil
    }
}

/// A NULL-terminated `char *[]` for posix_spawn, built in a single allocation: strings and
/// pointers share one buffer, so a launch costs one malloc per array instead of one per string.
struct CStringArray: ~Copyable {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let buffer: UnsafeMutableRawPointer

    init(arguments: [String]) throws(LaunchError) {
        var bytes = 0
        for argument in arguments { bytes += argument.utf8.count + 1 }
        var writer = Writer(count: arguments.count, bytes: bytes)
        for (index, argument) in arguments.enumerated() where !writer.append(argument, nil) {
            writer.discard()
            throw LaunchError(message: "cannot run '\(arguments[0])': argument \(index) contains a NUL byte")
        }
        (buffer, pointers) = writer.finish()
    }

    init(environment: [String: String]) throws(LaunchError) {
        var bytes = 0
        for (name, value) in environment { bytes += name.utf8.count + value.utf8.count + 2 }
        var writer = Writer(count: environment.count, bytes: bytes)
        for (name, value) in environment where name.isEmpty || !writer.append(name, value) {
            writer.discard()
            throw LaunchError(message: "invalid environment variable '\(name)': empty name, '=' in name, or NUL byte")
        }
        (buffer, pointers) = writer.finish()
    }

    deinit { free(buffer) }

    /// Fills the buffer; the array owns it only once `finish` hands it over, so a throwing
    /// init frees it exactly once, via `discard`.
    private struct Writer {
        private let buffer: UnsafeMutableRawPointer
        private let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
        private var next: UnsafeMutablePointer<CChar>
        private var index = 0

        init(count: Int, bytes: Int) {
            let pointerBytes = (count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride
            guard let raw = malloc(pointerBytes + bytes) else { fatalError("out of memory") }
            buffer = raw
            pointers = raw.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: count + 1)
            next = (raw + pointerBytes).bindMemory(to: CChar.self, capacity: bytes)
        }

        /// Writes `first` (and "=second") NUL-terminated; false if either contains a NUL byte,
        /// at which C would silently cut the string short, or a name (`first`, with a `second`)
        /// contains "=", which would make part of it the value.
        mutating func append(_ first: String, _ second: String?) -> Bool {
            let start = next
            guard copy(first, refusing: second == nil ? nil : UInt8(ascii: "=")) else { return false }
            if let second {
                next.pointee = CChar(bitPattern: UInt8(ascii: "="))
                next += 1
                guard copy(second) else { return false }
            }
            next.pointee = 0
            next += 1
            pointers[index] = start
            index += 1
            return true
        }

        func finish() -> (UnsafeMutableRawPointer, UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) {
            pointers[index] = nil
            return (buffer, pointers)
        }

        func discard() { free(buffer) }

        private mutating func copy(_ string: String, refusing other: UInt8? = nil) -> Bool {
            var text = string
            // A memchr or two and one memcpy a string: a task's environment is a few KiB, copied
            // on every launch.
            return text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return true }
                if memchr(base, 0, bytes.count) != nil { return false }
                if let other, memchr(base, Int32(other), bytes.count) != nil { return false }
                memcpy(next, base, bytes.count)
                next += bytes.count
                return true
            }
        }
    }
}
