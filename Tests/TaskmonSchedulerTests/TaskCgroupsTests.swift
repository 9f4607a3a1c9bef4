import Foundation
import TaskmonTestSupport
import Glibc
import Synchronization
import Testing

import TaskmonKit
import TaskmonScheduler

/// The per-task cgroups on their own, with real processes in a real freezer hierarchy (root
/// on a machine with cgroup v1's freezer; skipped elsewhere).
@Suite(
    "Task cgroups",
    .enabled(if: access(TaskCgroups.hierarchy + "/cgroup.procs", W_OK) == 0, "skipped: no writable cgroup v1 freezer hierarchy here"))
struct TaskCgroupsTests {
    /// A state dir of its own, so that its cgroup root is this test's alone.
    private final class Scratch: Sendable {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("taskmon-cgroups-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    private final class Exits: Sendable {
        private let pids = Mutex<Set<Int32>>([])
        func record(_ pid: Int32, _: ProcessTermination) { _ = pids.withLock { $0.insert(pid) } }
        func wait(for pid: Int32) async -> Bool {
            await within(60) { self.pids.withLock { $0.contains(pid) } }
        }
    }

    private static func freezerGroup(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.contains(":freezer:") }.map { String($0.split(separator: ":", maxSplits: 2)[2]) }
    }

    /// This process's open descriptors whose file's path satisfies `matches`.
    private static func descriptors(where matches: (String) -> Bool) -> [Int32] {
        let all = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap(Int32.init)
        return all.filter { matches((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) ?? "") }
    }

    private static func children(of root: String) -> Set<String> {
        Set(((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
            var info = stat()
            return lstat(root + "/" + $0, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
        })
    }

    private static func launch(_ argv: [String], _ launcher: ProcessLauncher, in scratch: Scratch, _ cgroups: TaskCgroups, _ group: TaskCgroups.Group) throws -> Int32 {
        try launcher.launch(
            LaunchRequest(argv: argv, environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil, stdoutPath: scratch.path + "/out", stderrPath: scratch.path + "/err"),
            cgroup: (cgroups, group))
    }

    @Test("a task starts in its own cgroup, and an empty one is reused for the next task instead of made again")
    func recycled() async throws {
        let scratch = try Scratch()
        let cgroups = try #require(TaskCgroups.make(stateDirectory: StateDirectory(path: scratch.path)))
        defer { cgroups.close() }
        let exits = Exits()
        let launcher = ProcessLauncher(onExit: exits.record)

        let first = try #require(cgroups.prepare())
        let pid = try Self.launch(["/bin/sleep", "300"], launcher, in: scratch, cgroups, first)
        cgroups.track(first)
        let path = String(cgroups.root.dropFirst(TaskCgroups.hierarchy.count)) + "/" + first.name
        #expect(Self.freezerGroup(of: pid) == path)
        // The spawning thread went home: it is not in the task's cgroup.
        #expect(Self.freezerGroup(of: getpid()) != path)
        // A second task running at the same time gets a cgroup of its own.
        let other = try #require(cgroups.prepare())
        #expect(other.name != first.name)
        cgroups.discard(other)
        #expect(Self.children(of: cgroups.root) == [first.name, other.name])

        kill(pid, SIGKILL)
        #expect(await exits.wait(for: pid))
        cgroups.ended(first)
        #expect(cgroups.liveGroups == 0)

        // The next tasks get the same cgroups: none is made.
        let second = try #require(cgroups.prepare())
        let third = try #require(cgroups.prepare())
        #expect(Set([second.name, third.name]) == [first.name, other.name])
        #expect(Self.children(of: cgroups.root) == [first.name, other.name])
        let next = try Self.launch(["/bin/sleep", "300"], launcher, in: scratch, cgroups, second)
        cgroups.track(second)
        cgroups.discard(third)
        #expect(Self.freezerGroup(of: next) == String(cgroups.root.dropFirst(TaskCgroups.hierarchy.count)) + "/" + second.name)
        kill(next, SIGKILL)
        #expect(await exits.wait(for: next))

        cgroups.close()
        #expect(!FileManager.default.fileExists(atPath: cgroups.root), "close left the root behind")
    }

    @Test("a cgroup something is left in is not reused at its task's exit: the sweep kills what is left, then reuses it")
    func leftoversKilledBeforeReuse() async throws {
        let scratch = try Scratch()
        let cgroups = try #require(TaskCgroups.make(stateDirectory: StateDirectory(path: scratch.path)))
        defer { cgroups.close() }
        let exits = Exits()
        let launcher = ProcessLauncher(onExit: exits.record)
        let file = scratch.path + "/left.pid"
        let group = try #require(cgroups.prepare())
        let pid = try Self.launch(["/bin/sh", "-c", "/bin/sleep 300 </dev/null >/dev/null 2>&1 & echo $! > \(file)"], launcher, in: scratch, cgroups, group)
        cgroups.track(group)
        #expect(await exits.wait(for: pid))
        let left = WatchedProcess(try #require(Int32((try? String(contentsOfFile: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "")))

        cgroups.ended(group)
        #expect(cgroups.liveGroups == 1, "a cgroup with a live process in it was recycled")
        #expect(left.isAlive)

        // The sweep: the task has ended, so what it left is killed; once gone, the cgroup is idle.
        let recycled = await within(60) {
            cgroups.sweep()
            return cgroups.liveGroups == 0
        }
        #expect(recycled)
        // Gone from the cgroup at its exit; gone as a pid once init has reaped it.
        #expect(await left.gone(within: 60), "the leftover outlived its task")
        // Reused: the next task gets it.
        #expect(cgroups.prepare()?.name == group.name)
    }

    @Test("a warm host moved into a task's cgroup and back out is left alone when what the task left there is killed; the cgroup is swept and reused by itself")
    func hostMovedInAndOut() async throws {
        let scratch = try Scratch()
        let cgroups = try #require(TaskCgroups.make(stateDirectory: StateDirectory(path: scratch.path), sweepInterval: .milliseconds(50)))
        defer { cgroups.close() }
        let exits = Exits()
        let launcher = ProcessLauncher(onExit: exits.record)
        let prefix = String(cgroups.root.dropFirst(TaskCgroups.hierarchy.count)) + "/"

        // The host, in a cgroup of its own.
        let home = try #require(cgroups.prepare())
        let host = try Self.launch(["/bin/sleep", "300"], launcher, in: scratch, cgroups, home)
        cgroups.track(home)
        // The task's cgroup, with something the task left in it.
        let task = try #require(cgroups.prepare())
        let left = try Self.launch(["/bin/sleep", "300"], launcher, in: scratch, cgroups, task)
        cgroups.track(task)

        #expect(cgroups.move(host, from: home, to: task))
        #expect(Self.freezerGroup(of: host) == prefix + task.name)
        // A pid that is not where it is said to be is not moved.
        #expect(!cgroups.move(host, from: home, to: task))
        #expect(cgroups.move(host, from: task, to: home))
        #expect(Self.freezerGroup(of: host) == prefix + home.name)

        cgroups.endNow(task)
        #expect(await exits.wait(for: left), "what the task left in its cgroup outlived it")
        #expect(kill(host, 0) == 0, "the host was killed with its task's leftovers")
        let state = (try? String(contentsOfFile: cgroups.root + "/" + home.name + "/freezer.state", encoding: .utf8)) ?? ""
        #expect(state.hasPrefix("THAWED"), "the host's cgroup is \(state)")
        // Nobody calls sweep(): the cgroup's own sweep recycles the emptied task cgroup.
        #expect(await within(60) { cgroups.liveGroups == 1 }, "the task's cgroup was not recycled")
        let again = cgroups.prepare()
        #expect(again?.name == task.name)
        if let again { cgroups.discard(again) }

        kill(host, SIGKILL)
        #expect(await exits.wait(for: host))
        cgroups.ended(home)
    }

    @Test("a cgroup whose tasks descriptor now names another file is not written to: the task starts, outside it, and the file is untouched")
    func staleDescriptorIsNotWrittenTo() async throws {
        let scratch = try Scratch()
        let cgroups = try #require(TaskCgroups.make(stateDirectory: StateDirectory(path: scratch.path)))
        defer { cgroups.close() }
        let exits = Exits()
        let launcher = ProcessLauncher(onExit: exits.record)
        let group = try #require(cgroups.prepare())
        // Its descriptor, found by where it points; then made another file's, as a close by
        // mistake elsewhere and a reuse of the number would.
        let tasksPath = cgroups.root + "/" + group.name + "/tasks"
        let fd = try #require(Self.descriptors { $0 == tasksPath }.first)
        let victim = scratch.path + "/victim"
        let other = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        #expect(other >= 0)
        #expect(dup2(other, fd) == fd)
        close(other)

        let pid = try Self.launch(["/bin/sleep", "300"], launcher, in: scratch, cgroups, group)
        cgroups.track(group)
        #expect(Self.freezerGroup(of: pid) != String(cgroups.root.dropFirst(TaskCgroups.hierarchy.count)) + "/" + group.name)
        #expect((try? Data(contentsOf: URL(fileURLWithPath: victim)))?.isEmpty == true, "a \"0\" meant for the cgroup went into another file")
        kill(pid, SIGKILL)
        #expect(await exits.wait(for: pid))
        cgroups.ended(group)
    }

    @Test("without a freezer hierarchy there are no cgroups, and the reason says where it looked")
    func noHierarchyIsExplained() throws {
        let scratch = try Scratch()
        switch TaskCgroups.makeOrExplain(stateDirectory: StateDirectory(path: scratch.path), hierarchy: scratch.path + "/no-freezer") {
        case .success:
            Issue.record("cgroups made under a hierarchy that is not there")
        case .failure(let why):
            #expect(why.noHierarchy)
            #expect(why.description.contains(scratch.path + "/no-freezer"))
        }
    }

    @Test("a burst of runs leaves at most a few idle cgroups' descriptors open; the rest are reused by name")
    func idleDescriptorsAreBounded() throws {
        let scratch = try Scratch()
        let cgroups = try #require(TaskCgroups.make(stateDirectory: StateDirectory(path: scratch.path)))
        defer { cgroups.close() }
        func openUnderRoot() -> Int { Self.descriptors { $0.hasPrefix(cgroups.root + "/") }.count }
        // Twenty at once, as a burst of tasks whose cgroups waited for the sweep would be.
        let burst = (0..<20).compactMap { _ in cgroups.prepare() }
        #expect(burst.count == 20)
        burst.forEach(cgroups.discard)
        #expect(cgroups.liveGroups == 0)
        #expect(openUnderRoot() <= 8, "idle cgroups keep \(openUnderRoot()) descriptors open")
        // All twenty serve again, the closed ones opened when taken; none is made anew.
        let again = (0..<20).compactMap { _ in cgroups.prepare() }
        #expect(Set(again.map(\.name)) == Set(burst.map(\.name)))
        again.forEach(cgroups.discard)
    }
}
