import Foundation
import Glibc
import Synchronization
import Testing

import TaskmonScheduler
import TaskmonTestSupport

/// Collects onExit calls (every one, so duplicates are visible) and waits for them with a deadline.
private final class ExitLog: Sendable {
    private let exits = Mutex<[Int32: [ProcessTermination]]>([:])

    func record(_ pid: Int32, _ termination: ProcessTermination) {
        exits.withLock { $0[pid, default: []].append(termination) }
    }

    var all: [Int32: [ProcessTermination]] { exits.withLock { $0 } }

    /// Waits until `pid` has been reported; returns every report for it (expected: exactly one).
    func wait(for pid: Int32, deadline seconds: Double = 60) async -> [ProcessTermination] {
        await waitUntil(deadline: seconds) { $0[pid] != nil }
        return exits.withLock { $0[pid] ?? [] }
    }

    func waitUntil(deadline seconds: Double = 60, _ done: ([Int32: [ProcessTermination]]) -> Bool) async {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !exits.withLock({ done($0) }), ContinuousClock.now < end {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// A fresh temporary directory per test, removed afterwards.
private final class Scratch: Sendable {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("taskmon-host-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func read(_ name: String) throws -> String { try String(contentsOfFile: file(name), encoding: .utf8) }
}

private let basicEnvironment = ["PATH": "/usr/bin:/bin"]

private func request(
    _ argv: [String], in scratch: Scratch, environment: [String: String] = basicEnvironment,
    cwd: String? = nil, stdout: String = "out", stderr: String = "err"
) -> LaunchRequest {
    LaunchRequest(
        argv: argv, environment: environment, workingDirectory: cwd,
        stdoutPath: scratch.file(stdout), stderrPath: scratch.file(stderr))
}

/// Waits for a file to have content (a child writing it may still be running).
private func waitForContent(_ path: String) async -> String {
    // Generous: on a loaded two-core machine the polling task itself may wait for a thread.
    let end = ContinuousClock.now + .seconds(60)
    while ContinuousClock.now < end {
        if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") { return text }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return ""
}

/// Launches a script this process has just written. Children other tests fork meanwhile hold
/// its write descriptor until they exec, which on a loaded machine can take longer than the
/// launcher's own half second of ETXTBSY retries: the test gives it up to a minute.
private func launchingScriptJustWritten(_ launch: () throws -> Int32) throws -> Int32 {
    let deadline = ContinuousClock.now + .seconds(60)
    while true {
        do {
            return try launch()
        } catch let error as LaunchError where error.message.hasSuffix("Text file busy") && ContinuousClock.now < deadline {
            usleep(50_000)
        }
    }
}

@Suite("HostProcess")
struct HostProcessTests {
    @Test func exitCodesAreReported() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let zero = try launcher.launch(request(["/bin/sh", "-c", "exit 0"], in: scratch))
        let seven = try launcher.launch(request(["sh", "-c", "exit 7"], in: scratch))
        #expect(await log.wait(for: zero) == [.exited(0)])
        #expect(await log.wait(for: seven) == [.exited(7)])
        #expect(launcher.liveChildren == 0)
    }

    @Test func killedBySignalIsReportedAsSignaled() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["sh", "-c", "kill -9 $$"], in: scratch))
        #expect(await log.wait(for: pid) == [.signaled(9)])
    }

    @Test func stdoutAndStderrGoToSeparateFilesAndAppend() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let script = "echo out-$0; echo err-$0 >&2"
        let first = try launcher.launch(request(["sh", "-c", script, "one"], in: scratch))
        #expect(await log.wait(for: first) == [.exited(0)])
        let second = try launcher.launch(request(["sh", "-c", script, "two"], in: scratch))
        #expect(await log.wait(for: second) == [.exited(0)])
        #expect(try scratch.read("out") == "out-one\nout-two\n")
        #expect(try scratch.read("err") == "err-one\nerr-two\n")
    }

    @Test func stdoutAndStderrMayShareOneFile() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(
            request(["sh", "-c", "echo a; echo b >&2; echo c"], in: scratch, stdout: "both", stderr: "both"))
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(try scratch.read("both") == "a\nb\nc\n")
    }

    @Test func environmentIsExactlyTheGivenOne() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(
            request(["/usr/bin/env"], in: scratch, environment: ["A": "1", "PATH": "/usr/bin:/bin"]))
        #expect(await log.wait(for: pid) == [.exited(0)])
        let lines = try scratch.read("out").split(separator: "\n").map(String.init).sorted()
        #expect(lines == ["A=1", "PATH=/usr/bin:/bin"])
    }

    @Test func argumentsAndEnvironmentArePassedWholeAndNulBytesAreRefused() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let long = String(repeating: "é∂x", count: 5000)
        let pid = try launcher.launch(request(
            ["/bin/sh", "-c", "printf '%s|%s|%s' \"$1\" \"$LONG\" \"$EMPTY\"", "sh", "ünï 😀"], in: scratch,
            environment: ["PATH": "/usr/bin:/bin", "LONG": long, "EMPTY": ""]))
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(try scratch.read("out") == "ünï 😀|\(long)|")
        let argument = try #require(throws: LaunchError.self) {
            try launcher.launch(request(["/bin/echo", "a\u{0}b"], in: scratch))
        }
        #expect(argument.message.contains("argument 1 contains a NUL byte"))
        #expect(throws: LaunchError.self) {
            try launcher.launch(request(["/bin/true"], in: scratch, environment: ["PATH": "/bin", "X": "1\u{0}2"]))
        }
        // A name with "=" would make part of it the value; an empty one is no variable. A "="
        // in a value is a value's own.
        for name in ["A=B", ""] {
            let refused = try #require(throws: LaunchError.self) {
                try launcher.launch(request(["/bin/true"], in: scratch, environment: ["PATH": "/bin", name: "1"]))
            }
            #expect(refused.message.contains("invalid environment variable"), "\(refused)")
        }
        let equals = try launcher.launch(request(
            ["/bin/sh", "-c", "printf '%s' \"$V\""], in: scratch, environment: ["PATH": "/usr/bin:/bin", "V": "a=b="], stdout: "eq"))
        #expect(await log.wait(for: equals) == [.exited(0)])
        #expect(try scratch.read("eq") == "a=b=")
    }

    @Test func programIsFoundWithTheRequestsPathNotOurs() async throws {
        let scratch = try Scratch()
        let bin = scratch.file("bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let tool = bin + "/only-here"
        try "#!/bin/sh\necho found-it\n".write(toFile: tool, atomically: true, encoding: .utf8)
        #expect(chmod(tool, 0o755) == 0)
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launchingScriptJustWritten { try launcher.launch(request(["only-here"], in: scratch, environment: ["PATH": "/nonexistent:\(bin)"])) }
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(try scratch.read("out") == "found-it\n")
        #expect(throws: LaunchError.self) {
            try launcher.launch(request(["only-here"], in: scratch, environment: basicEnvironment))
        }
    }

    @Test func workingDirectoryIsHonoured() async throws {
        let scratch = try Scratch()
        let work = scratch.file("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["/bin/pwd"], in: scratch, cwd: work))
        #expect(await log.wait(for: pid) == [.exited(0)])
        let printed = try scratch.read("out").trimmingCharacters(in: .newlines)
        #expect(URL(fileURLWithPath: printed).resolvingSymlinksInPath() == URL(fileURLWithPath: work).resolvingSymlinksInPath())
    }

    @Test func missingExecutableThrowsAClearErrorAndIsNeverReported() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let error = try #require(throws: LaunchError.self) {
            try launcher.launch(request(["no-such-program-xyz"], in: scratch))
        }
        #expect(error.message == "cannot run 'no-such-program-xyz': no such file or directory (looked in PATH=/usr/bin:/bin)")
        let absolute = try #require(throws: LaunchError.self) {
            try launcher.launch(request(["/nope/prog"], in: scratch))
        }
        #expect(absolute.description == "cannot run '/nope/prog': no such file or directory")
        try await expectNoOtherExits(launcher, log, in: scratch)
    }

    @Test func badWorkingDirectoryThrowsAClearErrorAndIsNeverReported() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let missing = scratch.file("nope")
        let error = try #require(throws: LaunchError.self) {
            try launcher.launch(request(["/bin/true"], in: scratch, cwd: missing))
        }
        #expect(error.message == "cannot change directory to \(missing): No such file or directory")
        // Same for a relative program, which is looked up in the (missing) directory first.
        let relative = try #require(throws: LaunchError.self) {
            try launcher.launch(request(["./run.sh"], in: scratch, cwd: missing))
        }
        #expect(relative.message == "cannot change directory to \(missing): No such file or directory")
        try await expectNoOtherExits(launcher, log, in: scratch)
    }

    @Test func nonExecutableFileThrowsPermissionDenied() async throws {
        let scratch = try Scratch()
        let script = scratch.file("script.sh")
        try "echo hi\n".write(toFile: script, atomically: true, encoding: .utf8)
        let launcher = ProcessLauncher(onExit: { _, _ in })
        let error = try #require(throws: LaunchError.self) {
            try launcher.launch(request([script], in: scratch))
        }
        #expect(error.message == "cannot run '\(script)': permission denied")
        #expect(launcher.liveChildren == 0)
    }

    /// After failed launches: one good launch is reported, and nothing else ever was.
    private func expectNoOtherExits(_ launcher: ProcessLauncher, _ log: ExitLog, in scratch: Scratch) async throws {
        let pid = try launcher.launch(request(["/bin/true"], in: scratch))
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(log.all.keys.sorted() == [pid])
        #expect(launcher.liveChildren == 0)
    }

    @Test func childLeadsItsOwnProcessGroup() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        // Field 5 of /proc/PID/stat is the process group id.
        let pid = try launcher.launch(request(["sh", "-c", "cut -d' ' -f5 /proc/$$/stat"], in: scratch))
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(try scratch.read("out") == "\(pid)\n")
    }

    /// What HostPool moves a warm host between cgroups under: the number is the host's only
    /// while it is unreaped.
    @Test func whileUnreapedRunsOnlyBeforeTheReap() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["/bin/sleep", "300"], in: scratch))
        #expect(launcher.whileUnreaped(pid) { pid } == pid)
        kill(pid, SIGKILL)
        #expect(await log.wait(for: pid) == [.signaled(SIGKILL)])
        let ran = Mutex(false)
        #expect(launcher.whileUnreaped(pid) { ran.withLock { $0 = true } } == nil)
        #expect(!ran.withLock { $0 }, "ran for a pid already reaped")
        #expect(launcher.whileUnreaped(getpid()) { 1 } == nil, "not a child of this launcher")
    }

    @Test func signalGroupKillsTheWholeTree() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let grandchildFile = scratch.file("grandchild")
        let pid = try launcher.launch(
            request(["sh", "-c", "sleep 600 & echo $! > \(grandchildFile); sleep 600; wait"], in: scratch))
        // By its pidfd: once init has reaped it, its number may be another process's at once.
        let grandchild = WatchedProcess(try #require(Int32(await waitForContent(grandchildFile).trimmingCharacters(in: .newlines))))
        #expect(grandchild.isAlive)
        launcher.signalGroup(pid, SIGTERM)
        #expect(await log.wait(for: pid) == [.signaled(SIGTERM)])
        // The orphaned grandchild is reaped by init (or left a zombie if init never reaps): either way, ended.
        #expect(await grandchild.gone(within: 60), "the grandchild \(grandchild) outlived its group's SIGTERM")
        launcher.signalGroup(pid, SIGTERM)  // group gone: ESRCH is ignored
    }

    /// The orphan sweep lists our children, then adopts those no launcher watches: a child reaped
    /// in between whose number the kernel has given to someone else's process must not be taken
    /// for ours, or that process's group would be SIGKILLed (at its end, or at once when it cannot
    /// be watched). Here the stranger is a session leader that is not our child, with a second
    /// process in its group.
    @Test func adoptingAProcessThatIsNotOurChildSignalsNobody() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(killGroupOnExit: true, onExit: log.record)
        let leaderFile = scratch.file("leader")
        let memberFile = scratch.file("member")
        // The leader's parent waits until the leader has its own session, then exits, so the
        // leader is reparented away from us (this process is no subreaper).
        let script = """
            setsid sh -c 'sleep 120 & echo $! > \(memberFile); echo $$ > \(leaderFile); exec sleep 2' &
            while [ ! -s \(leaderFile) ]; do sleep 0.01; done
            """
        let parent = try launcher.launch(request(["sh", "-c", script], in: scratch))
        #expect(await log.wait(for: parent) == [.exited(0)])
        let leader = try #require(Int32(await waitForContent(leaderFile).trimmingCharacters(in: .newlines)))
        let member = try #require(Int32(await waitForContent(memberFile).trimmingCharacters(in: .newlines)))
        let leaderProcess = WatchedProcess(leader), memberProcess = WatchedProcess(member)
        defer { if memberProcess.isAlive { kill(member, SIGKILL) } }
        #expect(getpgid(member) == leader)

        // Alive and not ours: refused, not watched.
        #expect(throws: LaunchError.self) { try launcher.adopt(leader) }
        #expect(launcher.liveChildren == 0)
        #expect(await leaderProcess.gone(within: 60))
        // Gone (or a zombie of its new parent's): its number is still the group's id; refused
        // without a signal to that group.
        #expect(throws: LaunchError.self) { try launcher.adopt(leader) }
        #expect(launcher.liveChildren == 0)
        #expect(memberProcess.isAlive, "a process of a group that is not ours was killed")
        #expect(log.all[leader] == nil)
    }

    @Test func childStartsWithCleanSignalStateAndNoInheritedDescriptors() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        // Make the parent state something the child must not inherit.
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let leaky = open("/dev/null", O_RDONLY)  // deliberately without O_CLOEXEC
        defer { close(leaky) }
        #expect(leaky >= 0)

        let status = try launcher.launch(request(["/bin/cat", "/proc/self/status"], in: scratch, stdout: "status"))
        let fds = try launcher.launch(request(["/bin/ls", "/proc/self/fd"], in: scratch, stdout: "fds"))
        #expect(await log.wait(for: status) == [.exited(0)])
        #expect(await log.wait(for: fds) == [.exited(0)])
        let fields = try scratch.read("status").split(separator: "\n").filter {
            $0.hasPrefix("SigBlk:") || $0.hasPrefix("SigIgn:")
        }
        #expect(fields == ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"])
        // 0-2 are stdio; 3 is ls's own handle on the directory it lists.
        #expect(try scratch.read("fds").split(separator: "\n") == ["0", "1", "2", "3"])
    }

    /// A child's SIGCHLD goes to the thread that launched it and is thrown away there only if
    /// that thread does not block it; blocked (as the Swift runtime's pool threads have it), it
    /// would wake the main thread once for every task.
    @Test func theLaunchingThreadLeavesSIGCHLDUnblocked() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["/bin/true"], in: scratch))
        // Read before any await, on the thread that launched.
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        let mask = try #require(blocked.flatMap { UInt64($0.dropFirst("SigBlk:".count).trimmingCharacters(in: .whitespaces), radix: 16) })
        #expect(mask & (1 << (UInt64(SIGCHLD) - 1)) == 0, "\(blocked ?? "")")
        #expect(await log.wait(for: pid) == [.exited(0)])
    }

    /// The local backend's one thread for a task's end: the reaper serves the pump of the same
    /// children, and both streams reach their files and their end as with a pump of its own.
    @Test func aLauncherServesItsPumpFromTheReapersThread() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let closed = Mutex<Set<UInt64>>([])
        let pump = OutputPump(servedElsewhere: { token in closed.withLock { _ = $0.insert(token) } })
        let launcher = ProcessLauncher(killGroupOnExit: true, pump: pump) { pid, termination, _ in log.record(pid, termination) }
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        #expect(pipe(&out) == 0 && pipe(&err) == 0)
        var spec = request(["/bin/sh", "-c", "echo out; echo err >&2"], in: scratch)
        spec.stdoutDescriptor = out[1]
        spec.stderrDescriptor = err[1]
        let pid = try launcher.launch(spec)
        close(out[1])
        close(err[1])
        let tokens: Set = [pump.add(pipe: out[0], path: scratch.file("o")), pump.add(pipe: err[0], path: scratch.file("e"))]
        #expect(await log.wait(for: pid) == [.exited(0)])
        await within { closed.withLock { $0 } == tokens }
        #expect(closed.withLock { $0 } == tokens)
        #expect(try scratch.read("o") == "out\n")
        #expect(try scratch.read("e") == "err\n")
    }

    /// A source descriptor that is itself 0, 1 or 2 (the scheduler may run with them closed, or
    /// pass its own on) must not be overwritten by the dup2 onto an earlier target.
    @Test func lowSourceDescriptorsReachTheirTargets() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let output = open(scratch.file("fd2"), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(output >= 3)
        defer { close(output) }
        var spec = request(["/bin/sh", "-c", "readlink /proc/$$/fd/2"], in: scratch)
        spec.stdoutDescriptor = output
        spec.stderrDescriptor = 1  // our own stdout, which the dup2 onto the child's 1 replaces
        let pid = try launcher.launch(spec)
        #expect(await log.wait(for: pid) == [.exited(0)])
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/1")
        #expect(try scratch.read("fd2") == ours + "\n")
    }

    @Test func stdinIsDevNull() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["/bin/sh", "-c", "readlink /proc/$$/fd/0; cat"], in: scratch))
        #expect(await log.wait(for: pid) == [.exited(0)])
        #expect(try scratch.read("out") == "/dev/null\n")
    }

    @Test func immediateExitIsReportedExactlyOnce() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pid = try launcher.launch(request(["/bin/true"], in: scratch))
        #expect(await log.wait(for: pid) == [.exited(0)])
        // Give a duplicate report every chance to show up before checking there was none.
        let marker = try launcher.launch(request(["/bin/true"], in: scratch))
        _ = await log.wait(for: marker)
        #expect(log.all[pid] == [.exited(0)])
        #expect(launcher.liveChildren == 0)
    }

    @Test func concurrentLaunchesAreAllReportedOnce() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let pids = try await withThrowingTaskGroup(of: Int32.self) { group in
            for _ in 0..<200 {
                group.addTask { try launcher.launch(request(["/bin/true"], in: scratch)) }
            }
            return try await group.reduce(into: [Int32]()) { $0.append($1) }
        }
        #expect(Set(pids).count == 200)
        await log.waitUntil { $0.count >= 200 }
        let exits = log.all
        #expect(Set(exits.keys) == Set(pids))
        #expect(exits.values.allSatisfy { $0 == [.exited(0)] })
        #expect(launcher.liveChildren == 0)
    }

    @Test func foundationProcessChildrenAreNotReapedByUs() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        let launcher = ProcessLauncher(onExit: log.record)
        let ours = try launcher.launch(request(["sh", "-c", "sleep 0.3; exit 4"], in: scratch))

        let theirs = Process()
        theirs.executableURL = URL(fileURLWithPath: "/bin/sh")
        theirs.arguments = ["-c", "sleep 0.2; exit 3"]
        try theirs.run()
        // Keep our reaper busy while their child exits.
        for _ in 0..<20 { _ = try launcher.launch(request(["/bin/true"], in: scratch)) }
        theirs.waitUntilExit()
        #expect(theirs.terminationReason == .exit)
        #expect(theirs.terminationStatus == 3)

        #expect(await log.wait(for: ours) == [.exited(4)])
        await log.waitUntil { $0.count >= 21 }
        #expect(log.all.count == 21)
        #expect(log.all[theirs.processIdentifier] == nil)
    }

    @Test func launcherCanBeReleasedWhileChildrenRun() async throws {
        let scratch = try Scratch()
        let log = ExitLog()
        var launcher: ProcessLauncher? = ProcessLauncher(onExit: log.record)
        let pid = try #require(launcher).launch(request(["sh", "-c", "sleep 0.2"], in: scratch))
        launcher = nil
        #expect(await log.wait(for: pid) == [.exited(0)])
    }

    @Test func lookupBehavesLikeExecvp() throws {
        let scratch = try Scratch()
        let local = scratch.file("tool")
        try "#!/bin/sh\n".write(toFile: local, atomically: true, encoding: .utf8)
        #expect(chmod(local, 0o755) == 0)

        #expect(ExecutableLookup.resolve("sh", path: "/nonexistent:/bin", workingDirectory: nil) == "/bin/sh")
        #expect(ExecutableLookup.resolve("sh", path: nil, workingDirectory: nil) == "/bin/sh")
        #expect(ExecutableLookup.resolve("tool", path: "/usr/bin:", workingDirectory: scratch.path) == local)
        #expect(ExecutableLookup.resolve("tool", path: "/usr/bin", workingDirectory: scratch.path) == nil)
        #expect(ExecutableLookup.resolve("./tool", path: "/usr/bin", workingDirectory: scratch.path) == local)
        #expect(ExecutableLookup.resolve("/bin/sh", path: "", workingDirectory: nil) == "/bin/sh")
        #expect(ExecutableLookup.resolve("bin", path: "/usr:/", workingDirectory: nil) == nil)  // directories are skipped
        #expect(ExecutableLookup.resolve("", path: "/bin", workingDirectory: nil) == nil)
    }
}
