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

    struct Host {
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
        var hosts: [Int32: Host] = [:]
        var pidByHandle: [RunHandle: Int32] = [:]
        /// Exits seen before `launch` recorded the host (a host that died at once).
        var earlyExits: [Int32: (ProcessTermination, Moment)] = [:]
        var generation: UInt64 = 0
    }

    /// Things to do once the lock is released.
    private struct Actions {
        var sends: [(HostConnection, HostCommand)] = []
        var reports: [BackendReport] = []
        var idleChecks: [(Int32, UInt64, Duration)] = []
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
            guard let pid = idle.min(by: { Self.idleSince($0) < Self.idleSince($1) })?.pid else { return nil }
            state.hosts[pid]!.phase = .running(handle)
            state.hosts[pid]!.tasksRun += 1
            state.hosts[pid]!.signaled = false
            state.hosts[pid]!.teardownSpool = host.teardownSpool
            state.pidByHandle[handle] = pid
            enterTaskCgroup(pid, &state)
            let count = state.hosts[pid]!.tasksRun
            return (state.hosts[pid]!.connection, RunDetail(pid: pid, place: "host pid \(pid) (warm, task \(count) of it)"))
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
            guard let pid = state.pidByHandle[handle] else { return nil }
            state.hosts[pid]?.signaled = true
            return pid
        }
        if let pid { launcher.signalGroup(pid, signal) }
    }

    /// Recycles every host (teardown runs), then kills what is left after `grace`.
    package func close() async {
        let connections = state.withLock { state -> [(HostConnection, String)] in
            var list: [(HostConnection, String)] = []
            for (pid, host) in state.hosts {
                if case .recycling = host.phase { continue }
                state.hosts[pid]!.phase = .recycling
                list.append((host.connection, host.teardownSpool))
            }
            return list
        }
        for (connection, spool) in connections { connection.send(.recycle(spool: spool)) }
        let deadline = ContinuousClock.now + .seconds(3)
        while launcher.liveChildren > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        for pid in state.withLock({ Array($0.hosts.keys) }) { launcher.signalGroup(pid, SIGKILL) }
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
        let early = state.withLock { state -> (ProcessTermination, Moment)? in
            state.hosts[pid] = Host(
                pid: pid, key: key, connection: connection, argv: argv, stderrPath: spawn.stderrPath,
                idleTimeout: host.idleTimeout, phase: .starting(Pending(handle: handle, request: request)),
                teardownSpool: host.teardownSpool, cgroup: group)
            state.pidByHandle[handle] = pid
            return state.earlyExits.removeValue(forKey: pid)
        }
        connection.startReading(
            onLine: { [weak self] line in self?.received(pid, line) },
            onEnd: { [weak self] in self?.readerEnded(pid) })
        if let (termination, at) = early { record(pid, termination, at: at) }
        let wait = DispatchTimeInterval.nanoseconds(Int(clamping: Moment.nanoseconds(helloTimeout)))
        DispatchQueue.global().asyncAfter(deadline: .now() + wait) { [weak self] in self?.helloExpired(pid) }
        return .pending
    }

    /// A host that has not said hello in time (stuck importing, say) is killed; its task fails
    /// with the reason.
    private func helloExpired(_ pid: Int32) {
        let stuck = state.withLock { state -> Bool in
            guard let host = state.hosts[pid], case .starting = host.phase else { return false }
            state.hosts[pid]!.helloMissed = true
            return true
        }
        if stuck { launcher.signalGroup(pid, SIGKILL) }
    }

    /// Recycles idle hosts of other kinds while the pool is full.
    private func makeRoom(for key: HostKey) {
        let evicted = state.withLock { state -> [(HostConnection, String)] in
            var list: [(HostConnection, String)] = []
            let idle = state.hosts.values.filter { $0.key != key && $0.phase.isIdle }.sorted { Self.idleSince($0) < Self.idleSince($1) }
            var live = state.hosts.values.filter { if case .recycling = $0.phase { false } else { true } }.count
            for host in idle where live >= capacity {
                state.hosts[host.pid]!.phase = .recycling
                list.append((host.connection, host.teardownSpool))
                live -= 1
            }
            return list
        }
        for (connection, spool) in evicted { connection.send(.recycle(spool: spool)) }
    }

    // MARK: What hosts say

    private func received(_ pid: Int32, _ line: Data) {
        let message = HostMessage.parse(line)
        let now = clock.now()
        var actions = Actions()
        state.withLock { state in
            guard let host = state.hosts[pid] else { return }
            switch (message, host.phase) {
            case (.hello, .starting(let pending)):
                if let environment = pending.request.host?.environmentPayload {
                    state.hosts[pid]!.phase = .settingUp(pending)
                    actions.sends.append((host.connection, .setup(
                        environment: environment, cwd: pending.request.workingDirectory,
                        spool: pending.request.host?.setupSpool ?? "")))
                } else {
                    startPending(pid, pending, at: now, &state, &actions)
                }
            case (.setupSucceeded, .settingUp(let pending)):
                startPending(pid, pending, at: now, &state, &actions)
            case (.setupFailed(let exception), .settingUp(let pending)):
                state.hosts[pid]!.phase = .recycling
                state.pidByHandle[pending.handle] = nil
                actions.reports.append(.environmentFailed(pending.handle, exception, at: now))
                actions.sends.append((host.connection, .recycle(spool: host.teardownSpool)))
            case (.done(let status), .running(let handle)):
                state.pidByHandle[handle] = nil
                actions.reports.append(.exited(handle, .exited(status), at: now, outputComplete: true))
                let left = leaveTaskCgroup(pid, &state, &actions)
                if status == 0 && left {
                    state.generation += 1
                    state.hosts[pid]!.phase = .idle(since: now, generation: state.generation)
                    if !host.idleCheckPending {
                        state.hosts[pid]!.idleCheckPending = true
                        actions.idleChecks.append((pid, state.generation, host.idleTimeout))
                    }
                } else {
                    // The reference's rule: a host whose task failed is not trusted with another;
                    // nor is one that cannot leave its task's cgroup (it ends with the host).
                    state.hosts[pid]!.phase = .recycling
                    actions.sends.append((host.connection, .recycle(spool: host.teardownSpool)))
                }
            default:
                break  // out of turn, or unknown: a broken host ends by its exit
            }
        }
        perform(actions)
    }

    /// A ready host takes the task it was started for.
    private func startPending(_ pid: Int32, _ pending: Pending, at now: Moment, _ state: inout State, _ actions: inout Actions) {
        guard let host = state.hosts[pid] else { return }
        state.hosts[pid]!.phase = .running(pending.handle)
        state.hosts[pid]!.tasksRun = 1
        enterTaskCgroup(pid, &state)
        actions.sends.append((host.connection, Self.taskCommand(pending.request, host.key)))
        actions.reports.append(.started(pending.handle, RunDetail(pid: pid, place: "host pid \(pid) (new, task 1 of it)"), at: now))
    }

    private func perform(_ actions: Actions) {
        // Before the reports: what a task left is gone by the time its end is known.
        for group in actions.endedCgroups { cgroups?.endNow(group) }
        for (connection, command) in actions.sends { connection.send(command) }
        for report in actions.reports { inbox.post(report) }
        for (pid, generation, timeout) in actions.idleChecks {
            let nanoseconds = Int(clamping: Moment.nanoseconds(timeout))
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { [weak self] in
                self?.idleExpired(pid, generation)
            }
        }
    }

    /// The host's idle timer went off: recycle it if it has been idle for its whole timeout since;
    /// if it worked meanwhile, look again when its current idle spell would run out.
    private func idleExpired(_ pid: Int32, _ generation: UInt64) {
        enum Next { case nothing, recycle(HostConnection, String), later(UInt64, Duration) }
        let now = clock.now()
        let next = state.withLock { state -> Next in
            guard let host = state.hosts[pid] else { return .nothing }
            guard case .idle(let since, let current) = host.phase else {
                // Busy again: the next time it goes idle schedules a new check.
                state.hosts[pid]!.idleCheckPending = false
                return .nothing
            }
            let due = since + host.idleTimeout
            if current == generation || now >= due {
                state.hosts[pid]!.phase = .recycling
                state.hosts[pid]!.idleCheckPending = false
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
            perform(Actions(idleChecks: [(pid, current, wait)]))
        }
    }

    // MARK: Task cgroups

    /// Moves host `pid` into a fresh cgroup for the task it is about to be sent, so that what
    /// the task starts is born there. Under the state lock, before the task is sent, so that the
    /// task's end (its `done`, or the host's exit) always finds the cgroup. Without one (no
    /// cgroups, none to be had, the host gone), the task runs in the host's own cgroup.
    private func enterTaskCgroup(_ pid: Int32, _ state: inout State) {
        guard let cgroups, let host = state.hosts[pid], let home = host.cgroup, host.taskCgroup == nil,
              host.termination == nil, let group = cgroups.prepare() else { return }
        cgroups.track(group)
        // While the host is unreaped: its number cannot have been given to another process.
        if launcher.whileUnreaped(pid, { cgroups.move(pid, from: home, to: group) }) == true {
            state.hosts[pid]!.taskCgroup = group
        } else {
            // Empty: ready for the next.
            cgroups.ended(group)
        }
    }

    /// Moves host `pid` back into its own cgroup once its task is done, and hands the task's
    /// cgroup to `actions` to be emptied. False when the host could not leave it (it stays the
    /// host's, ended with it).
    private func leaveTaskCgroup(_ pid: Int32, _ state: inout State, _ actions: inout Actions) -> Bool {
        guard let cgroups, let host = state.hosts[pid], let group = host.taskCgroup else { return true }
        guard let home = host.cgroup, launcher.whileUnreaped(pid, { cgroups.move(pid, from: group, to: home) }) == true else { return false }
        state.hosts[pid]!.taskCgroup = nil
        actions.endedCgroups.append(group)
        return true
    }

    // MARK: Hosts ending

    private func exited(_ pid: Int32, _ termination: ProcessTermination) {
        record(pid, termination, at: clock.now())
    }

    private func record(_ pid: Int32, _ termination: ProcessTermination, at: Moment) {
        let (ready, groups) = state.withLock { state -> (Bool?, [TaskCgroups.Group]) in
            guard let host = state.hosts[pid] else {
                state.earlyExits[pid] = (termination, at)
                return (nil, [])
            }
            state.hosts[pid]!.termination = termination
            state.hosts[pid]!.exitedAt = at
            state.hosts[pid]!.cgroup = nil
            state.hosts[pid]!.taskCgroup = nil
            return (host.readerDone, [host.taskCgroup, host.cgroup].compactMap { $0 })
        }
        // The host is gone: what it or its last task left is killed by the sweep.
        for group in groups { cgroups?.ended(group) }
        switch ready {
        case true?: finish(pid)
        case false?: DispatchQueue.global().asyncAfter(deadline: .now() + lineGrace) { [weak self] in self?.finish(pid) }
        case nil: break
        }
    }

    private func readerEnded(_ pid: Int32) {
        let exited = state.withLock { state -> Bool in
            state.hosts[pid]?.readerDone = true
            return state.hosts[pid]?.termination != nil
        }
        if exited { finish(pid) }
    }

    /// The host is gone and its last lines are read: the run it had (if any) ends, once.
    private func finish(_ pid: Int32) {
        let report = state.withLock { state -> BackendReport? in
            guard let host = state.hosts[pid], let termination = host.termination, let at = host.exitedAt else { return nil }
            state.hosts[pid] = nil
            switch host.phase {
            case .starting(let pending), .settingUp(let pending):
                state.pidByHandle[pending.handle] = nil
                if host.signaled { return .exited(pending.handle, termination, at: at, outputComplete: true) }
                let tail = Scheduler.tail(of: host.stderrPath, bytes: 2048).trimmingCharacters(in: .whitespacesAndNewlines)
                let how = host.helloMissed ? "did not start within \(Lifecycle.formatSeconds(Double(Moment.nanoseconds(helloTimeout)) / 1e9)) and was killed" : Lifecycle.describe(termination)
                let words = "the Python host (\(host.argv.joined(separator: " "))) \(how) before it was ready"
                return .launchFailed(pending.handle, LaunchError(message: tail.isEmpty ? words : "\(words): \(tail)"), at: at)
            case .running(let handle):
                state.pidByHandle[handle] = nil
                if host.signaled { return .exited(handle, termination, at: at, outputComplete: true) }
                if case .signaled(let signal) = termination {
                    return .lost(handle, reason: "its host (pid \(pid)) was killed by signal \(signal) (\(Lifecycle.signalName(signal)))", at: at)
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
