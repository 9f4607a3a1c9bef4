import CTaskmonPOSIX
import Foundation
import Glibc
import Synchronization
import TaskmonKit

/// Runs Python tasks in warm hosts, as the reference runs them: a host is a long-lived
/// `python3 -m taskmon.host --serve` process (its own process group) that sets the job's task
/// environment up once, in-process, then runs task after task, each with fds 1 and 2 on that
/// task's spool files and its own channel. Spoken to over a socketpair (``HostMessage``).
///
/// - A task that fails shuts its host down (teardown, then exit); the next task gets a new one.
/// - A timeout or cancel signals the host's whole group; the host is gone with its task.
/// - A host that dies from outside while it runs a task reports `.lost`: INTERRUPTED, retried.
/// - An idle host waits `idleTimeout` for another task of its kind (same interpreter, same
///   environment: the job's, or any job's with the same unique id), then is recycled.
/// - At most `capacity` hosts are kept: idle hosts of another kind are recycled to make room.
/// - With ``TaskCgroups`` (a scheduler's own process, where the machine allows them), a host is
///   spawned into a cgroup of its own, and moved into a fresh one for each task it runs: what
///   the task started is born there. Once the task is done the host is moved back and whatever
///   is left in the task's cgroup is killed before the task's end is reported; a host's exit
///   ends both its cgroups, as any run's.
package final class HostPool: Backend {
    /// Which tasks a host may run: same Python, same environment, same process environment.
    struct HostKey: Hashable {
        var interpreter: [String]
        /// `id …` for an environment with a unique id, else `job N`.
        var environment: String
        var processEnvironment: [String: String]
        var workingDirectory: String?
    }

    struct Pending {
        var handle: RunHandle
        var request: LaunchRequest
    }

    enum Phase {
        case starting(Pending)
        case settingUp(Pending)
        case running(RunHandle)
        case idle(since: Moment, generation: UInt64)
        case recycling

        var isIdle: Bool {
            if case .idle = self { return true }
            return false
        }
    }

    /// A host for as long as the pool knows it: its pid is free once it is reaped, and may be
    /// given to the next host within seconds on a busy machine (pid_max 32,768).
    typealias HostID = UInt64

    struct Host {
        let id: HostID
        let pid: Int32
        let key: HostKey
        let connection: HostConnection
        let argv: [String]
        let stderrPath: String
        var idleTimeout: Duration
        var phase: Phase
        var tasksRun = 0
        /// The scheduler signalled the current run (a timeout or cancel): its end is that run's.
        var signaled = false
        var teardownSpool: String
        var termination: ProcessTermination?
        var exitedAt: Moment?
        var readerDone = false
        /// An idle check is already scheduled: one timer per host, not one per task it ran.
        var idleCheckPending = false
        /// It did not say hello in time and was killed for it.
        var helloMissed = false
        /// Its own cgroup: where it was spawned, and where it waits between tasks (with what
        /// setup() started); ended at its exit.
        var cgroup: TaskCgroups.Group?
        /// The cgroup of the task it runs, while it runs one (or one it could not leave: then it
        /// is recycled, and the cgroup ends with it).
        var taskCgroup: TaskCgroups.Group?
    }

    struct State {
        var hosts: [HostID: Host] = [:]
        var nextHostID: HostID = 1
        /// Hosts not yet reaped, by pid: only these may be signalled or moved between cgroups.
        var hostByPid: [Int32: HostID] = [:]
        /// Hosts reaped whose exit has not reached ``exited`` yet when their pid came back to a
        /// new host (the reaper reports a moment after it reaps), oldest first: exits of one pid
        /// arrive in the order its processes ended.
        var supersededHosts: [Int32: [HostID]] = [:]
        var hostByHandle: [RunHandle: HostID] = [:]
        /// Exits seen before `launch` recorded the host (a host that died at once).
        var earlyExits: [Int32: (ProcessTermination, Moment)] = [:]
        var generation: UInt64 = 0

        /// The host's pid while it is unreaped, else nil: a reaped host's pid may be another's.
        func livePid(of id: HostID) -> Int32? {
            guard let pid = hosts[id]?.pid, hostByPid[pid] == id else { return nil }
            return pid
        }
    }

    /// Things to do once the lock is released.
    private struct Actions {
        var sends: [(HostConnection, HostCommand)] = []
        var reports: [BackendReport] = []
        var idleChecks: [(HostID, UInt64, Duration)] = []
        /// Task cgroups their host has left: what is left in them is killed before the reports.
        var endedCgroups: [TaskCgroups.Group] = []
    }

    package let name = "hosts"
    private let inbox: BackendInbox
    private let clock: any SchedulerClock
    private let capacity: Int
    private let spool = SpoolPreparer()
    private let state = Mutex(State())
    private let launcher: ProcessLauncher
    /// How long after a host's exit its last lines may still arrive.
    private let lineGrace: DispatchTimeInterval = .milliseconds(200)
    /// How long a new host may take to start (its interpreter and imports) before it is killed;
    /// `setup()` after that may take as long as it likes.
    private let helloTimeout: Duration
    /// A cgroup per host and per task, where the machine allows it (shared with the local backend).
    private let cgroups: TaskCgroups?

    static let perTaskVariables: Set<String> = [
        TaskEnvironment.channel, TaskEnvironment.taskID, TaskEnvironment.attempt, TaskEnvironment.jobID,
    ]

    private struct WeakPool {
        weak var pool: HostPool?
    }

    /// `cgroups`: only for a scheduler's own process (a test process must not put hosts in
    /// cgroups of a state dir of its own).
    package init(
        inbox: BackendInbox, clock: any SchedulerClock, capacity: Int, helloTimeout: Duration = .seconds(60), cgroups: TaskCgroups? = nil
    ) {
        self.inbox = inbox
        self.clock = clock
        self.capacity = max(1, capacity)
        self.helloTimeout = helloTimeout
        self.cgroups = cgroups
        // A weak class reference, not a closure in a Mutex: a function value read from a
        // Mutex's inout storage nests one reabstraction thunk deeper on every call.
        let target = Mutex(WeakPool())
        launcher = ProcessLauncher(killGroupOnExit: true) { pid, termination in target.withLock { $0.pool }?.exited(pid, termination) }
        target.withLock { $0.pool = self }
    }

    /// Host processes alive (any phase).
    package var liveHosts: Int { launcher.liveChildren }

    // MARK: Backend

    package func launch(_ handle: RunHandle, _ request: LaunchRequest) -> LaunchOutcome {
        guard let host = request.host else { return .failed(LaunchError(message: "not a Python task: the host pool runs only those")) }
        spool.prepare(request)
        let key = Self.key(request, host)
        let command = Self.taskCommand(request, key)
        let warm = state.withLock { state -> (HostConnection, RunDetail)? in
            let idle = state.hosts.values.filter { $0.key == key && $0.phase.isIdle }
            guard let id = idle.min(by: { Self.idleSince($0) < Self.idleSince($1) })?.id else { return nil }
            state.hosts[id]!.phase = .running(handle)
            state.hosts[id]!.tasksRun += 1
            state.hosts[id]!.signaled = false
            state.hosts[id]!.teardownSpool = host.teardownSpool
            state.hostByHandle[handle] = id
            enterTaskCgroup(id, &state)
            let (pid, count) = (state.hosts[id]!.pid, state.hosts[id]!.tasksRun)
            return (state.hosts[id]!.connection, RunDetail(pid: pid, place: "host pid \(pid) (warm, task \(count) of it)"))
        }
        if let (connection, detail) = warm {
            // A host that died just now reports its exit as the run's end (lost → retried).
            connection.send(command)
            return .started(detail)
        }
        makeRoom(for: key)
        return spawn(handle, request, host, key)
    }

    package func signal(_ handle: RunHandle, _ signal: Int32) {
        let pid = state.withLock { state -> Int32? in
            guard let id = state.hostByHandle[handle] else { return nil }
            state.hosts[id]?.signaled = true
            return state.livePid(of: id)
        }
        if let pid { launcher.signalGroup(pid, signal) }
    }

    /// Recycles every host (teardown runs), then kills what is left after `grace`.
    package func close() async {
        let connections = state.withLock { state -> [(HostConnection, String)] in
            var list: [(HostConnection, String)] = []
            for (id, host) in state.hosts {
                if case .recycling = host.phase { continue }
                state.hosts[id]!.phase = .recycling
                list.append((host.connection, host.teardownSpool))
            }
            return list
        }
        for (connection, spool) in connections { connection.send(.recycle(spool: spool)) }
        let deadline = ContinuousClock.now + .seconds(3)
        while launcher.liveChildren > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for pid in state.withLock({ Array($0.hostByPid.keys) }) { launcher.signalGroup(pid, SIGKILL) }
    }

    // MARK: Starting hosts

    private func spawn(_ handle: RunHandle, _ request: LaunchRequest, _ host: HostLaunch, _ key: HostKey) -> LaunchOutcome {
        guard let pair = HostConnection.makePair() else {
            return .failed(LaunchError(message: "cannot make a socket for a Python host: \(errorText(errno))"))
        }
        let argv = host.interpreter + ["-m", "taskmon.host", "--serve"]
        var spawn = LaunchRequest(
            argv: argv, environment: key.processEnvironment, workingDirectory: request.workingDirectory,
            stdoutPath: host.setupSpool + ".stdout", stderrPath: host.setupSpool + ".stderr", purpose: request.purpose,
            priority: request.priority)
        spawn.stdinDescriptor = pair.theirs
        // Born in a cgroup of its own, as every run of the local backend is.
        let group = cgroups?.prepare()
        let pid: Int32
        do {
            pid = try launcher.launch(spawn, cgroup: cgroups.flatMap { cgroups in group.map { (cgroups, $0) } })
        } catch {
            if let group { cgroups?.discard(group) }
            Glibc.close(pair.ours)
            Glibc.close(pair.theirs)
            return .failed(LaunchError(message: "cannot start a Python host: \(error.message)"))
        }
        // Before the host is recorded: its exit (from then on) ends it.
        if let cgroups, let group {
            cgroups.track(group)
            // A spawn that ran outside the cgroup (the spawning thread could not enter it) is
            // put right: the host's tasks are moved out of it and back.
            _ = launcher.whileUnreaped(pid) { cgroups.contains(pid, group) || cgroups.move(pid, from: nil, to: group) }
        }
        Glibc.close(pair.theirs)
        let connection = HostConnection(descriptor: pair.ours)
        let (id, early) = state.withLock { state -> (HostID, (ProcessTermination, Moment)?) in
            let id = state.nextHostID
            state.nextHostID += 1
            state.hosts[id] = Host(
                id: id, pid: pid, key: key, connection: connection, argv: argv, stderrPath: spawn.stderrPath,
                idleTimeout: host.idleTimeout, phase: .starting(Pending(handle: handle, request: request)),
                teardownSpool: host.teardownSpool, cgroup: group)
            state.hostByHandle[handle] = id
            // Reaped already (it died at once): its exit was kept for it.
            if let early = state.earlyExits.removeValue(forKey: pid) { return (id, early) }
            // A host recorded with this pid before has been reaped: its exit is still coming.
            if let older = state.hostByPid[pid] { state.supersededHosts[pid, default: []].append(older) }
            state.hostByPid[pid] = id
            return (id, nil)
        }
        connection.startReading(
            onLine: { [weak self] line in self?.received(id, line) },
            onEnd: { [weak self] in self?.readerEnded(id) })
        if let (termination, at) = early { record(id, termination, at: at) }
        let wait = DispatchTimeInterval.nanoseconds(Int(clamping: Moment.nanoseconds(helloTimeout)))
        DispatchQueue.global().asyncAfter(deadline: .now() + wait) { [weak self] in self?.helloExpired(id) }
        return .pending
    }

    /// A host that has not said hello in time (stuck importing, say) is killed; its task fails
    /// with the reason.
    private func helloExpired(_ id: HostID) {
        let stuck = state.withLock { state -> Int32? in
            guard let host = state.hosts[id], case .starting = host.phase, let pid = state.livePid(of: id) else { return nil }
            state.hosts[id]!.helloMissed = true
            return pid
        }
        if let stuck { launcher.signalGroup(stuck, SIGKILL) }
    }

    /// Recycles idle hosts of other kinds while the pool is full.
    private func makeRoom(for key: HostKey) {
        let evicted = state.withLock { state -> [(HostConnection, String)] in
            var list: [(HostConnection, String)] = []
            let idle = state.hosts.values.filter { $0.key != key && $0.phase.isIdle }.sorted { Self.idleSince($0) < Self.idleSince($1) }
            var live = state.hosts.values.filter { if case .recycling = $0.phase { false } else { true } }.count
            for host in idle where live >= capacity {
                state.hosts[host.id]!.phase = .recycling
                list.append((host.connection, host.teardownSpool))
                live -= 1
            }
            return list
        }
        for (connection, spool) in evicted { connection.send(.recycle(spool: spool)) }
    }

    // MARK: What hosts say

    private func received(_ id: HostID, _ line: Data) {
        let message = HostMessage.parse(line)
        let now = clock.now()
        var actions = Actions()
        state.withLock { state in
            guard let host = state.hosts[id] else { return }
            switch (message, host.phase) {
            case (.hello, .starting(let pending)):
                if let environment = pending.request.host?.environmentPayload {
                    state.hosts[id]!.phase = .settingUp(pending)
                    actions.sends.append((host.connection, .setup(
                        environment: environment, cwd: pending.request.workingDirectory,
                        spool: pending.request.host?.setupSpool ?? "")))
                } else {
                    startPending(id, pending, at: now, &state, &actions)
                }
            case (.setupSucceeded, .settingUp(let pending)):
                startPending(id, pending, at: now, &state, &actions)
            case (.setupFailed(let exception), .settingUp(let pending)):
                state.hosts[id]!.phase = .recycling
                state.hostByHandle[pending.handle] = nil
                actions.reports.append(.environmentFailed(pending.handle, exception, at: now))
                actions.sends.append((host.connection, .recycle(spool: host.teardownSpool)))
            case (.done(let status), .running(let handle)):
                state.hostByHandle[handle] = nil
                actions.reports.append(.exited(handle, .exited(status), at: now, outputComplete: true))
                let left = leaveTaskCgroup(id, &state, &actions)
                if status == 0 && left {
                    state.generation += 1
                    state.hosts[id]!.phase = .idle(since: now, generation: state.generation)
                    if !host.idleCheckPending {
                        state.hosts[id]!.idleCheckPending = true
                        actions.idleChecks.append((id, state.generation, host.idleTimeout))
                    }
                } else {
                    // The reference's rule: a host whose task failed is not trusted with another;
                    // nor is one that cannot leave its task's cgroup (it ends with the host).
                    state.hosts[id]!.phase = .recycling
                    actions.sends.append((host.connection, .recycle(spool: host.teardownSpool)))
                }
            default:
                break  // out of turn, or unknown: a broken host ends by its exit
            }
        }
        perform(actions)
    }

    /// A ready host takes the task it was started for.
    private func startPending(_ id: HostID, _ pending: Pending, at now: Moment, _ state: inout State, _ actions: inout Actions) {
        guard let host = state.hosts[id] else { return }
        state.hosts[id]!.phase = .running(pending.handle)
        state.hosts[id]!.tasksRun = 1
        enterTaskCgroup(id, &state)
        actions.sends.append((host.connection, Self.taskCommand(pending.request, host.key)))
        actions.reports.append(.started(pending.handle, RunDetail(pid: host.pid, place: "host pid \(host.pid) (new, task 1 of it)"), at: now))
    }

    private func perform(_ actions: Actions) {
        // Before the reports: what a task left is gone by the time its end is known.
        for group in actions.endedCgroups { cgroups?.endNow(group) }
        for (connection, command) in actions.sends { connection.send(command) }
        for report in actions.reports { inbox.post(report) }
        for (id, generation, timeout) in actions.idleChecks {
            let nanoseconds = Int(clamping: Moment.nanoseconds(timeout))
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in
                self?.idleExpired(id, generation)
            }
        }
    }

    /// The host's idle timer went off: recycle it if it has been idle for its whole timeout since;
    /// if it worked meanwhile, look again when its current idle spell would run out.
    private func idleExpired(_ id: HostID, _ generation: UInt64) {
        enum Next { case nothing, recycle(HostConnection, String), later(UInt64, Duration) }
        let now = clock.now()
        let next = state.withLock { state -> Next in
            guard let host = state.hosts[id] else { return .nothing }
            guard case .idle(let since, let current) = host.phase else {
                // Busy again: the next time it goes idle schedules a new check.
                state.hosts[id]!.idleCheckPending = false
                return .nothing
            }
            let due = since + host.idleTimeout
            if current == generation || now >= due {
                state.hosts[id]!.phase = .recycling
                state.hosts[id]!.idleCheckPending = false
                return .recycle(host.connection, host.teardownSpool)
            }
            return .later(current, now.duration(to: due))
        }
        switch next {
        case .nothing:
            break
        case .recycle(let connection, let spool):
            connection.send(.recycle(spool: spool))
        case .later(let current, let wait):
            perform(Actions(idleChecks: [(id, current, wait)]))
        }
    }

    // MARK: Task cgroups

    /// Moves host `pid` into a fresh cgroup for the task it is about to be sent, so that what
    /// the task starts is born there. Under the state lock, before the task is sent, so that the
    /// task's end (its `done`, or the host's exit) always finds the cgroup. Without one (no
    /// cgroups, none to be had, the host gone), the task runs in the host's own cgroup.
    private func enterTaskCgroup(_ id: HostID, _ state: inout State) {
        guard let cgroups, let host = state.hosts[id], let pid = state.livePid(of: id), let home = host.cgroup,
              host.taskCgroup == nil, host.termination == nil, let group = cgroups.prepare() else { return }
        cgroups.track(group)
        // While the host is unreaped: its number cannot have been given to another process.
        if launcher.whileUnreaped(pid, { cgroups.move(pid, from: home, to: group) }) == true {
            state.hosts[id]!.taskCgroup = group
        } else {
            // Empty: ready for the next.
            cgroups.ended(group)
        }
    }

    /// Moves host `pid` back into its own cgroup once its task is done, and hands the task's
    /// cgroup to `actions` to be emptied. False when the host could not leave it (it stays the
    /// host's, ended with it).
    private func leaveTaskCgroup(_ id: HostID, _ state: inout State, _ actions: inout Actions) -> Bool {
        guard let cgroups, let host = state.hosts[id], let group = host.taskCgroup else { return true }
        guard let home = host.cgroup, let pid = state.livePid(of: id),
              launcher.whileUnreaped(pid, { cgroups.move(pid, from: group, to: home) }) == true else { return false }
        state.hosts[id]!.taskCgroup = nil
        actions.endedCgroups.append(group)
        return true
    }

    // MARK: Hosts ending

    private func exited(_ pid: Int32, _ termination: ProcessTermination) {
        let at = clock.now()
        let id = state.withLock { state -> HostID? in
            if var older = state.supersededHosts[pid], !older.isEmpty {
                let id = older.removeFirst()
                state.supersededHosts[pid] = older.isEmpty ? nil : older
                return id
            }
            if let id = state.hostByPid.removeValue(forKey: pid) { return id }
            state.earlyExits[pid] = (termination, at)
            return nil
        }
        if let id { record(id, termination, at: at) }
    }

    private func record(_ id: HostID, _ termination: ProcessTermination, at: Moment) {
        let (ready, groups) = state.withLock { state -> (Bool?, [TaskCgroups.Group]) in
            guard let host = state.hosts[id] else { return (nil, []) }
            state.hosts[id]!.termination = termination
            state.hosts[id]!.exitedAt = at
            state.hosts[id]!.cgroup = nil
            state.hosts[id]!.taskCgroup = nil
            return (host.readerDone, [host.taskCgroup, host.cgroup].compactMap { $0 })
        }
        // The host is gone: what it or its last task left is killed by the sweep.
        for group in groups { cgroups?.ended(group) }
        switch ready {
        case true?: finish(id)
        case false?: DispatchQueue.global().asyncAfter(deadline: .now() + lineGrace) { [weak self] in self?.finish(id) }
        case nil: break
        }
    }

    private func readerEnded(_ id: HostID) {
        let exited = state.withLock { state -> Bool in
            state.hosts[id]?.readerDone = true
            return state.hosts[id]?.termination != nil
        }
        if exited { finish(id) }
    }

    /// The host is gone and its last lines are read: the run it had (if any) ends, once.
    private func finish(_ id: HostID) {
        let report = state.withLock { state -> BackendReport? in
            guard let host = state.hosts[id], let termination = host.termination, let at = host.exitedAt else { return nil }
            state.hosts[id] = nil
            switch host.phase {
            case .starting(let pending), .settingUp(let pending):
                state.hostByHandle[pending.handle] = nil
                if host.signaled { return .exited(pending.handle, termination, at: at, outputComplete: true) }
                let tail = Scheduler.tail(of: host.stderrPath, bytes: 2048).trimmingCharacters(in: .whitespacesAndNewlines)
                let how = host.helloMissed ? "did not start within \(Lifecycle.formatSeconds(Double(Moment.nanoseconds(helloTimeout)) / 1e9)) and was killed" : Lifecycle.describe(termination)
                let words = "the Python host (\(host.argv.joined(separator: " "))) \(how) before it was ready"
                return .launchFailed(pending.handle, LaunchError(message: tail.isEmpty ? words : "\(words): \(tail)"), at: at)
            case .running(let handle):
                state.hostByHandle[handle] = nil
                if host.signaled { return .exited(handle, termination, at: at, outputComplete: true) }
                if case .signaled(let signal) = termination {
                    return .lost(handle, reason: "its host (pid \(host.pid)) was killed by signal \(signal) (\(Lifecycle.signalName(signal)))", at: at)
                }
                return .exited(handle, termination, at: at, outputComplete: true)
            case .idle, .recycling:
                return nil
            }
        }
        if let report { inbox.post(report) }
    }

    // MARK: Helpers

    private static func idleSince(_ host: Host) -> Moment {
        if case .idle(let since, _) = host.phase { return since }
        return Moment(monotonic: .max, wall: .distantFuture)
    }

    static func key(_ request: LaunchRequest, _ host: HostLaunch) -> HostKey {
        HostKey(
            interpreter: host.interpreter, environment: host.uniqueID.map { "id \($0)" } ?? "job \(host.job)",
            processEnvironment: request.environment.filter { !perTaskVariables.contains($0.key) },
            workingDirectory: request.workingDirectory)
    }

    static func taskCommand(_ request: LaunchRequest, _ key: HostKey) -> HostCommand {
        let env = request.environment.filter { key.processEnvironment[$0.key] != $0.value }
        return .task(payload: request.host?.taskPayload ?? "", stdout: request.stdoutPath, stderr: request.stderrPath, env: env)
    }

}
