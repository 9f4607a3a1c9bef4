import Foundation
import Synchronization
import TaskmonKit

/// One cgroup per task attempt, where this machine lets us make them, so that everything a
/// task started ends with it, even a process that cleared its environment (`env -i`, no
/// marker for ``OrphanSweep``) and left its process group.
///
/// It uses the cgroup v1 freezer hierarchy (`/sys/fs/cgroup/freezer`, writable by root): v1
/// lets one thread be in a cgroup of its own, so the thread that spawns a task enters the
/// task's cgroup for the spawn and leaves it right after, and the child is born inside it
/// (nothing it runs can fork before it is moved, as it could if it were moved after the
/// spawn). At the task's end its cgroup is frozen, every process in it killed, thawed (the
/// kills land) and removed once empty: frozen, nothing in it can fork or exit meanwhile, so no
/// pid is read and then reused. Where there is no writable freezer hierarchy (cgroup v2 only,
/// not root, a container), ``make(stateDirectory:)`` gives nil and the marker sweep is all
/// there is.
package final class TaskCgroups: Sendable {
    /// This state dir's folder in the hierarchy: `…/freezer/taskmon-HASH`.
    let root: String
    /// Where this process's threads are in the hierarchy, to go back to after a spawn.
    private let home: String
    /// Task cgroups made and not yet removed, by name.
    private let groups = Mutex<[String: (key: TaskKey, attempt: Int)]>([:])
    private let broken = Atomic<Bool>(false)

    private init(root: String, home: String) {
        self.root = root
        self.home = home
    }

    /// The hierarchy's mount point.
    package static let hierarchy = "/sys/fs/cgroup/freezer"

    /// A root for this state dir's tasks, or nil where none can be made. Leftover task
    /// cgroups of a scheduler that crashed on this state dir are killed and removed.
    package static func make(stateDirectory: StateDirectory, hierarchy: String = TaskCgroups.hierarchy) -> TaskCgroups? {
        guard access(hierarchy + "/cgroup.procs", W_OK) == 0 else { return nil }
        guard let own = ownPath() else { return nil }
        let home = hierarchy + own
        guard access(home + "/tasks", W_OK) == 0 else { return nil }
        let root = home + (own.hasSuffix("/") ? "" : "/") + "taskmon-" + hash(stateDirectory.path)
        guard mkdir(root, 0o700) == 0 || errno == EEXIST else { return nil }
        var info = stat()
        guard lstat(root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else { return nil }
        // Only this state dir's root is ours to clean. Another's empty task cgroup may be one
        // a live scheduler just made and is about to spawn into (removing those made its tasks
        // run outside any cgroup when many schedulers started at once); a crashed one's
        // leftovers are cleaned by the next scheduler on its own state dir.
        let cgroups = TaskCgroups(root: root, home: home)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let (key, _) = parse(name) else { continue }
            cgroups.kill(root + "/" + name)
            // Killed processes take a moment to be gone: a later sweep removes the cgroup (no
            // attempt is ever -1, so it counts as ended).
            if rmdir(root + "/" + name) != 0 { cgroups.groups.withLock { $0[name] = (key, -1) } }
        }
        return cgroups
    }

    /// This process's path in the freezer hierarchy, from /proc/self/cgroup.
    private static func ownPath() -> String? {
        guard let text = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            if fields.count == 3, fields[1].split(separator: ",").contains("freezer") { return String(fields[2]) }
        }
        return nil
    }

    /// A short stable name for a state dir (FNV-1a), so two schedulers never share a root.
    private static func hash(_ text: String) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
        return String(value, radix: 16)
    }

    static func name(_ key: TaskKey, attempt: Int) -> String { "j\(key.job)-t\(key.task)-a\(attempt)" }

    static func parse(_ name: String) -> (key: TaskKey, attempt: Int)? {
        let parts = name.split(separator: "-")
        guard parts.count == 3, parts[0].first == "j", parts[1].first == "t", parts[2].first == "a",
              let job = JobID(parts[0].dropFirst()), let task = TaskIndex(parts[1].dropFirst()), let attempt = Int(parts[2].dropFirst())
        else { return nil }
        return (TaskKey(job: job, task: task), attempt)
    }

    /// The cgroup for a task's attempt, made now; nil when it cannot be (the task then runs
    /// without one). Once the task is launched, ``track(_:_:attempt:)`` it, else ``discard(_:)``.
    package func prepare(_ key: TaskKey, attempt: Int) -> String? {
        guard !broken.load(ordering: .relaxed) else { return nil }
        let path = root + "/" + Self.name(key, attempt: attempt)
        if mkdir(path, 0o700) == 0 { return path }
        switch errno {
        case ENOENT:
            // Our root was removed from outside (an operator cleaning up): make it again.
            guard mkdir(root, 0o700) == 0 || errno == EEXIST, mkdir(path, 0o700) == 0 else { return nil }
            return path
        case EEXIST:
            return path
        default:
            return nil
        }
    }

    /// From now on, the cgroup is killed once its task's attempt has ended. Called only after
    /// the backend counts the attempt as running, so that a sweep in between cannot take a
    /// task just launched for one that ended.
    package func track(_ path: String, _ key: TaskKey, attempt: Int) {
        groups.withLock { $0[String(path.dropFirst(root.count + 1))] = (key, attempt) }
    }

    /// A cgroup whose task did not start.
    package func discard(_ path: String) {
        rmdir(path)
    }

    /// Runs `spawn` with the calling thread inside `cgroup`, so that the child starts there.
    /// Without a cgroup, or when the thread cannot enter it, `spawn` runs where the thread is.
    package func spawning<T>(in cgroup: String?, _ spawn: () -> T) -> T {
        guard let cgroup, !broken.load(ordering: .relaxed) else { return spawn() }
        // "0" is the writing thread itself (cgroup v1's tasks file).
        let thread = "0"
        guard Self.write(thread, to: cgroup + "/tasks") else { return spawn() }
        defer {
            // A thread left in a task's cgroup would be frozen and killed with it: never
            // use the cgroups again if it cannot go home.
            if !Self.write(thread, to: home + "/tasks") { broken.store(true, ordering: .relaxed) }
        }
        return spawn()
    }

    /// Kills and removes the cgroups of task attempts for which `ended` holds. Called from the
    /// orphan sweep, a few times a second while anything runs.
    package func endTasks(where ended: (TaskKey, Int) -> Bool) {
        let doomed = groups.withLock { groups in groups.filter { ended($0.value.key, $0.value.attempt) }.map(\.key) }
        for name in doomed {
            let path = root + "/" + name
            kill(path)
            if rmdir(path) == 0 || errno == ENOENT { _ = groups.withLock { $0.removeValue(forKey: name) } }
        }
    }

    /// Task cgroups not yet removed (tests).
    package var liveGroups: Int { groups.withLock { $0.count } }

    /// Removes the root at shutdown, once its task cgroups are gone.
    package func close() {
        // Killed processes take a moment to be gone; a cgroup is removable only then.
        for _ in 0..<50 {
            endTasks { _, _ in true }
            if liveGroups == 0 { break }
            usleep(20_000)
        }
        rmdir(root)
    }

    /// Freezes the cgroup, kills everything in it, and thaws it so the kills land. Never when
    /// a thread of this process is in it (a spawn in flight that failed to leave).
    private func kill(_ path: String) {
        guard let tasks = Self.read(path + "/tasks"), !tasks.isEmpty else { return }
        let me = getpid()
        for tid in tasks where access("/proc/\(me)/task/\(tid)", F_OK) == 0 { return }
        _ = Self.write("FROZEN", to: path + "/freezer.state")
        for _ in 0..<100 {
            let state = (try? String(contentsOfFile: path + "/freezer.state", encoding: .utf8)) ?? ""
            if state.hasPrefix("FROZEN") { break }
            usleep(1000)
        }
        for pid in Self.read(path + "/cgroup.procs") ?? [] { _ = Glibc.kill(pid, SIGKILL) }
        _ = Self.write("THAWED", to: path + "/freezer.state")
    }

    private static func write(_ text: String, to path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        return text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
    }

    private static func read(_ path: String) -> [Int32]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").compactMap { Int32($0) }
    }
}
