import Foundation
import Synchronization
import TaskmonKit

/// One cgroup per task attempt, where this machine lets us make them, so that everything a
/// task started ends with it, even a process that cleared its environment (`env -i`, no
/// marker for ``OrphanSweep``) and left its process group.
///
/// It uses the cgroup v1 freezer hierarchy (`/sys/fs/cgroup/freezer`, writable by root): v1
/// lets one thread be in a cgroup of its own, so the child of a spawn enters the task's cgroup
/// itself, between the clone and the exec (``entry(for:)``: nothing it runs can fork before
/// it is moved, as it could if it were moved after the spawn; the spawning thread, which
/// before entered the cgroup for the spawn and left it after, never moves). At the task's end
/// its cgroup is frozen, every process in it killed, and thawed (the kills land): frozen,
/// nothing in it can fork or exit meanwhile, so no pid is read and then reused. Where there is no writable freezer hierarchy (cgroup v2 only, not root, a
/// container), ``make(stateDirectory:)`` gives nil and the marker sweep is all there is.
///
/// Cgroups are recycled: one found empty when its task is reaped goes to an idle pool and
/// serves the next task, so the pool is about as big as the number of tasks running. A mkdir
/// and an rmdir of a cgroup a task were a tenth of the scheduler's CPU for short tasks, and
/// renaming them after their task cost most of that again: they are named `cN` for good.
/// Each cgroup's `tasks` file stays open while it serves a task, and while it waits idle for
/// the first ``idleOpenLimit`` idle ones: opening it again for every task was a fortieth of
/// the scheduler's CPU for short tasks, and a few cover the steady state of a few slots. More would be descriptors a burst of tasks left behind (50
/// tasks leaving `sleep 90 &` left the scheduler holding one for each).
///
/// A warm Python host (``HostPool``) runs many tasks in one process: it is spawned into a
/// cgroup of its own, and for each task it is moved (``move(_:from:to:)``, all its threads)
/// into a fresh one and back out once the task is done, when whatever the task left there is
/// killed at once (``endNow(_:)``).
///
/// One instance serves every backend of a scheduler; it sweeps itself: a cgroup something was
/// left in when its run ended is looked at again every `sweepInterval` until it is empty.
package final class TaskCgroups: Sendable {
    /// A task attempt's cgroup, from ``prepare(_:attempt:)``.
    package struct Group: Sendable {
        package let name: String
        /// Its `tasks` file, open for writing: a thread writing "0" there enters the cgroup.
        fileprivate let tasks: Int32
        /// Which file `tasks` is (device and inode), so that a descriptor closed by mistake and
        /// given to another file is never written to as if it were still this one.
        fileprivate let identity: FileIdentity
    }

    /// Why a state dir's tasks go without cgroups, for the scheduler's log.
    package struct Unavailable: Error, Sendable, CustomStringConvertible {
        package let description: String
        /// The machine offers no writable freezer hierarchy at all (cgroup v2 only, not root):
        /// the usual case, not a problem.
        package let noHierarchy: Bool
    }

    fileprivate struct FileIdentity: Sendable, Equatable {
        let device: UInt64
        let inode: UInt64

        init?(_ fd: Int32) {
            var info = stat()
            guard fstat(fd, &info) == 0 else { return nil }
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
        }
    }

    private struct Busy {
        var group: Group
        /// Its run has ended: whatever is left in it is killed (a crashed scheduler's leftovers
        /// have ended too).
        var ended = false
        /// A kill of it is under way: it is not recycled (and so not given to another run) until
        /// the kill is over, so that no freeze or kill ever lands on the next run.
        var killing = false
    }

    private struct Pool {
        /// Cgroups in use, by name.
        var busy: [String: Busy] = [:]
        /// Empty cgroups ready for the next task, their `tasks` files open.
        var idle: [Group] = []
        /// More of them, by name: their `tasks` files are opened when they are taken.
        var idleClosed: [String] = []
        /// The number in the next new cgroup's name.
        var made = 0
        /// A sweep is scheduled.
        var sweepArmed = false
        /// Closed: no more sweeps.
        var closed = false
    }

    /// This state dir's folder in the hierarchy: `…/freezer/taskmon-HASH`.
    package let root: String
    /// `root`, open: a cgroup is looked at relative to it, so that the check at every
    /// task's end walks two names, not the whole path from /sys (-1 when it could not be opened:
    /// paths are walked then).
    private let rootDescriptor: Int32
    private let pool = Mutex(Pool())
    private let sweepInterval: DispatchTimeInterval
    private let sweeper = DispatchQueue(label: "taskmon.cgroups")

    /// Idle cgroups kept for reuse at most; more are removed.
    static let idleLimit = 64
    /// Idle cgroups whose `tasks` file is kept open, at most.
    static let idleOpenLimit = 8

    private init(root: String, sweepInterval: DispatchTimeInterval) {
        self.root = root
        self.sweepInterval = sweepInterval
        rootDescriptor = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)
    }

    deinit {
        if rootDescriptor >= 0 { Glibc.close(rootDescriptor) }
        pool.withLock { pool in
            for busy in pool.busy.values { Glibc.close(busy.group.tasks) }
            for group in pool.idle { Glibc.close(group.tasks) }
        }
    }

    /// The hierarchy's mount point.
    package static let hierarchy = "/sys/fs/cgroup/freezer"

    /// A root for this state dir's tasks, or nil where none can be made. Leftover task
    /// cgroups of a scheduler that crashed on this state dir are killed and removed.
    /// `sweepInterval`: how often a cgroup something was left in is looked at again.
    package static func make(
        stateDirectory: StateDirectory, hierarchy: String = TaskCgroups.hierarchy, sweepInterval: DispatchTimeInterval = .milliseconds(200)
    ) -> TaskCgroups? {
        try? makeOrExplain(stateDirectory: stateDirectory, hierarchy: hierarchy, sweepInterval: sweepInterval).get()
    }

    /// ``make(stateDirectory:hierarchy:sweepInterval:)``, saying why there is none: a scheduler
    /// whose tasks silently went without cgroups could not be told from one whose cgroups failed.
    package static func makeOrExplain(
        stateDirectory: StateDirectory, hierarchy: String = TaskCgroups.hierarchy, sweepInterval: DispatchTimeInterval = .milliseconds(200)
    ) -> Result<TaskCgroups, Unavailable> {
        func unavailable(_ why: String, noHierarchy: Bool = false) -> Result<TaskCgroups, Unavailable> {
            .failure(Unavailable(description: why, noHierarchy: noHierarchy))
        }
        guard access(hierarchy + "/cgroup.procs", W_OK) == 0 else {
            return unavailable("no writable cgroup v1 freezer hierarchy at \(hierarchy)", noHierarchy: true)
        }
        guard let own = ownPath() else { return unavailable("this process is in no freezer cgroup (/proc/self/cgroup)") }
        let home = hierarchy + own
        let root = home + (own.hasSuffix("/") ? "" : "/") + "taskmon-" + hash(stateDirectory.path)
        var info = stat()
        guard mkdir(root, 0o700) == 0 || errno == EEXIST else {
            return unavailable("cannot make \(root): \(errorText(errno))")
        }
        guard lstat(root, &info) == 0, info.st_mode & S_IFMT == S_IFDIR, info.st_uid == geteuid() else {
            return unavailable("\(root) is not a folder of this user's")
        }
        // Only this state dir's root is ours to clean. Another's empty task cgroup may be one
        // a live scheduler just made and is about to spawn into (removing those made its tasks
        // run outside any cgroup when many schedulers started at once); a crashed one's
        // leftovers are cleaned by the next scheduler on its own state dir.
        let cgroups = TaskCgroups(root: root, sweepInterval: sweepInterval)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            let path = root + "/" + name
            guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
            cgroups.kill(path)
            // Killed processes take a moment to be gone: a later sweep removes the cgroup.
            if rmdir(path) != 0, let group = openGroup(name, in: root) {
                cgroups.pool.withLock { $0.busy[name] = Busy(group: group, ended: true) }
            }
            // New cgroups are numbered after every leftover, removed or not.
            if name.first == "c", let number = Int(name.dropFirst()) {
                cgroups.pool.withLock { $0.made = max($0.made, number + 1) }
            }
        }
        cgroups.armSweep()
        return .success(cgroups)
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

    private static func openGroup(_ name: String, in root: String) -> Group? {
        let tasks = open(root + "/" + name + "/tasks", O_WRONLY | O_CLOEXEC | O_NOFOLLOW)
        guard tasks >= 0 else { return nil }
        guard let identity = FileIdentity(tasks) else {
            Glibc.close(tasks)
            return nil
        }
        return Group(name: name, tasks: tasks, identity: identity)
    }

    /// A cgroup for a run (a task's attempt, a job's setup or teardown), an idle one or one
    /// made now; nil when there is none (the run then goes without one). Once the run is
    /// launched, ``track(_:)`` it, else ``discard(_:)``.
    package func prepare() -> Group? {
        // A name taken already (a crashed scheduler's leftover still dying) is skipped: a task
        // must never share a cgroup.
        for _ in 0..<8 {
            enum Pick { case open(Group), closed(String), new(String) }
            let pick = pool.withLock { pool -> Pick in
                if let idle = pool.idle.popLast() { return .open(idle) }
                if let name = pool.idleClosed.popLast() { return .closed(name) }
                defer { pool.made += 1 }
                return .new("c\(pool.made)")
            }
            let name: String
            switch pick {
            case .open(let idle):
                // One removed from outside meanwhile (an operator cleaning up) cannot be entered:
                // its task runs outside it, and the sweep forgets it when it finds it gone.
                return idle
            case .closed(let idle):
                if let group = Self.openGroup(idle, in: root) { return group }
                // Removed from outside: the next one, or a new one.
                continue
            case .new(let made):
                name = made
            }
            let path = root + "/" + name
            var made = mkdir(path, 0o700) == 0
            if !made && errno == ENOENT {
                // Our root was removed from outside (an operator cleaning up): make it again.
                made = (mkdir(root, 0o700) == 0 || errno == EEXIST) && mkdir(path, 0o700) == 0
            }
            if made {
                if let group = Self.openGroup(name, in: root) { return group }
                complain("a run goes without a cgroup: cannot open \(path)/tasks (\(errorText(errno)))")
                return nil
            }
            guard errno == EEXIST else {
                complain("a run goes without a cgroup: cannot make \(path) (\(errorText(errno)))")
                return nil
            }
        }
        complain("a run goes without a cgroup: 8 names in a row under \(root) were taken")
        return nil
    }

    /// The cgroup's run is launched: it is left alone until ``ended(_:)``.
    package func track(_ group: Group) {
        pool.withLock { $0.busy[group.name] = Busy(group: group) }
    }

    /// A cgroup whose run did not start. Empty, it is ready for the next; a child spawned but
    /// not watched is killed by the next sweep.
    package func discard(_ group: Group) {
        pool.withLock { $0.busy[group.name] = Busy(group: group) }
        ended(group)
    }

    /// The cgroup's run has been reaped. When nothing it started is left in the cgroup, it is
    /// recycled at once, so the pool stays as small as the number of runs at a time; what is
    /// left is killed by the next sweep.
    package func ended(_ group: Group) {
        guard markEnded(group) else { return }
        isEmpty(group.name) == true ? recycleIfBusy(group) : armSweep()
    }

    /// Like ``ended(_:)``, but what is left in the cgroup is killed now, on this thread (which
    /// may wait a moment for the freeze), so that it is gone before the run's end is reported:
    /// for a warm host's task, once the host has left the cgroup (``move(_:from:to:)``). The
    /// killed take a moment to be gone; the sweep recycles the cgroup then.
    package func endNow(_ group: Group) {
        guard markEnded(group) else { return }
        if isEmpty(group.name) == true { return recycleIfBusy(group) }
        killEnded(group)
        if isEmpty(group.name) == true { return recycleIfBusy(group) }
        armSweep()
    }

    /// Marks a tracked cgroup's run ended; false when it is not tracked (recycled already).
    private func markEnded(_ group: Group) -> Bool {
        pool.withLock { pool -> Bool in
            guard pool.busy[group.name] != nil else { return false }
            pool.busy[group.name]?.ended = true
            return true
        }
    }

    /// Moves process `pid`, all its threads, from cgroup `from` into `to` (cgroup v1: a pid
    /// written to `cgroup.procs`), if it is in `from`: a pid that left it has exited (its number
    /// may be someone else's by now) and is not moved. What it forks from then on is born in
    /// `to`; what it forked before stays where it was. Says whether it moved.
    /// With `from` nil, it is moved from wherever it is: only for a child just spawned and not
    /// yet reaped.
    package func move(_ pid: Int32, from: Group?, to: Group) -> Bool {
        guard pid > 1 else { return false }
        if let from, !contains(pid, from) { return false }
        guard Self.write(String(pid), to: root + "/" + to.name + "/cgroup.procs") else {
            // ESRCH: it has exited meanwhile; nothing to say.
            if errno != ESRCH {
                complain("cannot move process \(pid) from \(from?.name ?? "where it is") to \(to.name) (\(errorText(errno)))")
            }
            return false
        }
        return true
    }

    /// Whether process `pid` is in `group`.
    package func contains(_ pid: Int32, _ group: Group) -> Bool {
        Self.read(root + "/" + group.name + "/cgroup.procs")?.contains(pid) == true
    }

    /// Recycles `group` unless another thread (the sweep, the reaper) already did, or a kill
    /// of it is under way (whoever kills it looks again afterwards).
    private func recycleIfBusy(_ group: Group) {
        let removed = pool.withLock { pool -> Bool in
            guard let busy = pool.busy[group.name], !busy.killing else { return false }
            pool.busy[group.name] = nil
            return true
        }
        if removed { recycle(group) }
    }

    /// Kills what is left in a cgroup whose run has ended, unless another thread is at it.
    private func killEnded(_ group: Group) {
        let mine = pool.withLock { pool -> Bool in
            guard let busy = pool.busy[group.name], busy.ended, !busy.killing else { return false }
            pool.busy[group.name]?.killing = true
            return true
        }
        guard mine else { return }
        kill(root + "/" + group.name)
        pool.withLock { $0.busy[group.name]?.killing = false }
    }

    /// Schedules a sweep unless one is: it looks again as long as something ended is left.
    private func armSweep() {
        let arm = pool.withLock { pool -> Bool in
            guard !pool.sweepArmed, !pool.closed else { return false }
            pool.sweepArmed = true
            return true
        }
        if arm { scheduleSweep() }
    }

    private func scheduleSweep() {
        sweeper.asyncAfter(deadline: .now() + sweepInterval) { [weak self] in
            guard let self else { return }
            self.sweep()
            let again = self.pool.withLock { pool -> Bool in
                let again = !pool.closed && pool.busy.values.contains { $0.ended }
                pool.sweepArmed = again
                return again
            }
            if again { self.scheduleSweep() }
        }
    }

    /// The descriptor a new child writes "0" to, before it execs, to start inside `group` (its
    /// `tasks` file: ``ctaskmon_spawn``'s `cgroup_tasks_fd`); nil, with a line in the log, when
    /// it must start where it is. The spawning thread itself never moves.
    package func entry(for group: Group) -> Int32? {
        // One fstat a task: a "0" written to a descriptor that is no longer this cgroup's
        // `tasks` file (closed by mistake and reused) would land in another file, and the task
        // would start outside its cgroup without a word.
        guard FileIdentity(group.tasks) == group.identity else {
            complain("task \(group.name) runs outside its cgroup: descriptor \(group.tasks) is no longer its tasks file")
            return nil
        }
        return group.tasks
    }

    /// The child could not enter `group` (``entry(for:)``): it runs outside it.
    package func couldNotEnter(_ group: Group, _ code: Int32) {
        complain("task \(group.name) runs outside its cgroup: cannot enter it (\(errorText(code)))")
    }

    private let complaints = Atomic<Int>(0)

    /// One line in the scheduler's log, for the first few problems only (a broken hierarchy
    /// would otherwise write one a task).
    private func complain(_ line: String) {
        guard complaints.add(1, ordering: .relaxed).newValue <= 10 else { return }
        FileHandle.standardError.write(Data(("taskmon: " + line + "\n").utf8))
    }

    /// Kills what is left in the cgroups of runs that have ended (of every run, with `all`),
    /// and recycles those that are empty. Runs by itself every `sweepInterval` while anything
    /// ended is left (and at ``close()``, with `all`).
    package func sweep(all: Bool = false) {
        let doomed = pool.withLock { pool in
            if all { for name in pool.busy.keys { pool.busy[name]?.ended = true } }
            return pool.busy.values.filter(\.ended).map(\.group)
        }
        for group in doomed {
            guard let empty = isEmpty(group.name) else {
                // Removed from outside: nothing left to end.
                if pool.withLock({ $0.busy.removeValue(forKey: group.name) != nil }) { Glibc.close(group.tasks) }
                continue
            }
            if empty {
                recycleIfBusy(group)
            } else {
                // Killed processes take a moment to be gone: a later sweep recycles the cgroup.
                killEnded(group)
            }
        }
    }

    /// Puts an empty cgroup back in the idle pool, or removes it when the pool is full.
    private func recycle(_ group: Group) {
        enum Kept { case open, closed, no }
        let kept = pool.withLock { pool -> Kept in
            guard !pool.closed, pool.idle.count + pool.idleClosed.count < Self.idleLimit else { return .no }
            if pool.idle.count < Self.idleOpenLimit {
                pool.idle.append(group)
                return .open
            }
            pool.idleClosed.append(group.name)
            return .closed
        }
        if kept != .open { Glibc.close(group.tasks) }
        if kept == .no { rmdir(root + "/" + group.name) }
    }

    /// Cgroups in use: by a run, or by what an ended run left and the sweep has not killed yet.
    package var liveGroups: Int { pool.withLock { $0.busy.count } }

    /// Removes every cgroup and the root at shutdown, once the task cgroups are empty (killing
    /// what is in them). It blocks for up to a second: not on the cooperative pool.
    package func close() {
        pool.withLock { $0.closed = true }
        // Killed processes take a moment to be gone; a cgroup is removable only then.
        for _ in 0..<50 {
            sweep(all: true)
            if liveGroups == 0 { break }
            usleep(20_000)
        }
        let (idle, idleClosed) = pool.withLock { pool in
            defer {
                pool.idle = []
                pool.idleClosed = []
            }
            return (pool.idle, pool.idleClosed)
        }
        for group in idle {
            Glibc.close(group.tasks)
            rmdir(root + "/" + group.name)
        }
        for name in idleClosed { rmdir(root + "/" + name) }
        rmdir(root)
    }

    /// Freezes the cgroup, kills everything in it, and thaws it so the kills land. Never when
    /// a thread of this process is in it (a spawn in flight that failed to leave).
    private func kill(_ path: String, tasks known: [Int32]? = nil) {
        guard let tasks = known ?? Self.read(path + "/tasks"), !tasks.isEmpty else { return }
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
        return write(text, to: fd)
    }

    private static func write(_ text: String, to fd: Int32) -> Bool {
        text.withCString { Glibc.write(fd, $0, strlen($0)) } == text.utf8.count
    }

    /// The pids in a `tasks` or `cgroup.procs` file, read afresh (a descriptor kept open would
    /// give the kernel's cached list), or nil when it cannot be read.
    /// Whether nothing is in cgroup `name` (its `tasks` file, read afresh, is empty); nil when
    /// it cannot be read (removed from outside). Only the first bytes are read, into the
    /// stack: this runs at every task's end, on the scheduler's thread.
    private func isEmpty(_ name: String) -> Bool? {
        let fd = rootDescriptor >= 0
            ? openat(rootDescriptor, name + "/tasks", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            : open(root + "/" + name + "/tasks", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer -> Bool? in
            while true {
                let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                return count < 0 ? nil : count == 0
            }
        }
    }

    private static func read(_ path: String) -> [Int32]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { Glibc.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[..<count])
        }
        return bytes.split(separator: UInt8(ascii: "\n")).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
    }
}
