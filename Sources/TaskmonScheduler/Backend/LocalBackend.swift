import CTaskmonPOSIX
import Foundation
import Synchronization
import TaskmonKit

/// Runs each run as a host process on this machine, in its own process group, its output pumped
/// from pipes into spool files.
///
/// A run is reported ended once it has exited *and* its output is all in its files, so that the
/// scheduler reads a task's complete output when it decides its status; the report still carries
/// the moment the process was reaped. A background grandchild may keep a pipe open for ever:
/// after `outputGrace` the exit is reported anyway (`outputComplete: false`), and the pump goes
/// on writing whatever still comes.
package final class LocalBackend: Backend {
    private struct Run {
        var handle: RunHandle?
        var task: TaskKey?
        /// Its cgroup, until it is reaped.
        var cgroup: TaskCgroups.Group?
        var openStreams = 2
        var termination: ProcessTermination?
        var usage: ResourceUsage?
        var exitedAt: Moment?
        /// When to report the exit even though its output is still open.
        var outputDeadline: DispatchTime?
        var reported = false
        /// When it was started, and when we first signalled it: an exit cannot come before
        /// either (the second only when a signal ended it).
        var launchedAt: Moment?
        var firstSignalAt: Moment?
    }

    private struct State {
        /// Runs whose process has not been reaped, by pid (and one reaped before `launch`
        /// recorded its handle: without the scheduler's loop, an exit may be seen first).
        var unreaped: [Int32: Run] = [:]
        /// Runs reaped whose exit has not reached ``exited`` yet when their pid came back to a
        /// new run (the reaper reports a moment after it reaps, from its own thread when there
        /// is no loop), oldest first: exits of one pid arrive in the order its processes ended.
        var superseded: [Int32: [Run]] = [:]
        /// The pid of each run in `unreaped`: once reaped, a run has no pid any more.
        var pidByHandle: [RunHandle: Int32] = [:]
        /// Runs reaped whose exit or output is still to be reported, by handle: their pid is free,
        /// and a busy machine (pid_max 32,768) may give it to the next run within seconds, which
        /// was then taken for this one (runs were kept by pid) and never reported ended.
        var reaped: [RunHandle: Run] = [:]
        var streamOwners: [UInt64: RunHandle] = [:]
        /// Reaped runs whose output is still open, and when to report them anyway.
        var awaitingOutput: [RunHandle: DispatchTime] = [:]
        /// One timer serves every run in `awaitingOutput`: most tasks' pipes close a moment
        /// after the reap, and a timer each would cost a wake-up a task.
        var sweepArmed = false
        /// Orphans reparented to us (we are their subreaper): watched so that they are reaped,
        /// killed once the task they belong to has ended.
        var adopted: [Int32: OrphanSweep.Found?] = [:]
        /// The attempt each running task's process is, by task.
        var liveTasks: [TaskKey: Int] = [:]
        var orphanTimerRunning = false
    }

    private struct WeakBackend {
        weak var backend: LocalBackend?
    }

    package let name = "local"
    private let inbox: BackendInbox
    private let clock: any SchedulerClock
    private let spool = SpoolPreparer()
    private let state = Mutex(State())
    private let outputGrace: DispatchTimeInterval
    private let launcher: ProcessLauncher
    private let pump: OutputPump
    private let loop: SchedulerLoop?

    private let orphans: OrphanPolicy?
    /// A cgroup per run where the machine allows it: the scheduler's, shared with its host
    /// pool, which sweeps itself (a scheduler's own process only, not a test's).
    private let cgroups: TaskCgroups?
    private let orphanQueue = DispatchQueue(label: "taskmon.orphans")

    /// What to do with orphans of tasks: adopt them (as this process's subreaper) and kill
    /// those that carry `stateDirectory`'s marker once their task has ended. nil leaves them be
    /// (a test process must not adopt the orphans of other tests).
    package struct OrphanPolicy: Sendable {
        package var stateDirectory: StateDirectory
        package var interval: DispatchTimeInterval = .milliseconds(200)

        package init(stateDirectory: StateDirectory) {
            self.stateDirectory = stateDirectory
        }
    }

    /// `cgroups`: a cgroup for every run (``TaskCgroups``); its owner closes it after this backend.
    /// `loop`: the scheduler's (``SchedulerLoop``), which then reaps and pumps for this backend,
    /// so that a task's end, its report and the scheduler's turn are one thread's work; nil
    /// gives the backend a thread of its own for that.
    package init(
        inbox: BackendInbox, clock: any SchedulerClock, outputGrace: DispatchTimeInterval = .milliseconds(200),
        orphans: OrphanPolicy? = nil, cgroups: TaskCgroups? = nil, loop: SchedulerLoop? = nil
    ) {
        self.inbox = inbox
        self.clock = clock
        self.outputGrace = outputGrace
        self.orphans = orphans
        self.cgroups = cgroups
        self.loop = loop
        // Orphans of our tasks are reparented to us instead of init, where we can find them.
        if orphans != nil { _ = ctaskmon_become_subreaper() }
        // The callbacks reach the backend through a weak reference set right below, as `self`
        // is not available to closures before every property is set. A class reference, not a
        // closure: a function value read out of a Mutex's inout storage is re-thunked on every
        // write-back, and calling it grew one layer deeper per call (quadratic over a job).
        let target = Mutex(WeakBackend())
        // One thread reaps the children and pumps their output: a task's end is one wake-up.
        pump = OutputPump(servedElsewhere: { token in target.withLock { $0.backend }?.streamClosed(token) })
        launcher = ProcessLauncher(killGroupOnExit: true, pump: pump, loop: loop) { pid, termination, usage in
            target.withLock { $0.backend }?.exited(pid, termination, usage)
        }
        target.withLock { $0.backend = self }
    }

    /// Children launched and not yet reaped.
    package var liveProcesses: Int { launcher.liveChildren }

    package func launch(_ handle: RunHandle, _ request: LaunchRequest) -> LaunchOutcome {
        spool.prepare(request)
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard ctaskmon_pipe_cloexec(&out) == 0 else { return .failed(Self.pipeError(errno)) }
        guard ctaskmon_pipe_cloexec(&err) == 0 else {
            let code = errno
            out.forEach { Glibc.close($0) }
            return .failed(Self.pipeError(code))
        }
        var piped = request
        piped.stdoutDescriptor = out[1]
        piped.stderrDescriptor = err[1]
        let attempt = Int(request.environment[TaskEnvironment.attempt] ?? "") ?? 0
        // Every run, a task's or a setup's or teardown's, so that nothing it started outlives it.
        let cgroup = cgroups?.prepare()
        let launchedAt = clock.now()
        let launched = Result { () throws(LaunchError) -> Int32 in
            let pid = try launcher.launch(piped, cgroup: cgroups.flatMap { cgroups in cgroup.map { (cgroups, $0) } })
            let (exitedAlready, armSweep) = state.withLock { state -> (Bool, Bool) in
                // The exit may already have been seen; keep what it recorded. A run recorded by
                // an earlier launch has been reaped (the pid came back): its exit is still coming.
                var run = state.unreaped.removeValue(forKey: pid) ?? Run()
                if let older = run.handle {
                    // Signalled by its handle now, it would be the new process that got it.
                    state.pidByHandle[older] = nil
                    state.superseded[pid, default: []].append(run)
                    run = Run()
                }
                run.handle = handle
                run.launchedAt = launchedAt
                if case .task(let key) = request.purpose, run.termination == nil {
                    state.liveTasks[key] = attempt
                    run.task = key
                }
                if let cgroup {
                    cgroups?.track(cgroup)
                    // Once exited, the exit has passed the cgroup by: it is ended below.
                    if run.termination == nil { run.cgroup = cgroup }
                }
                // Under the lock, so that a stream closing at once finds its owner.
                for (pipe, path) in [(out[0], request.stdoutPath), (err[0], request.stderrPath)] {
                    state.streamOwners[pump.add(pipe: pipe, path: path)] = handle
                }
                guard run.termination != nil else {
                    state.unreaped[pid] = run
                    state.pidByHandle[handle] = pid
                    return (false, false)
                }
                // Reaped already: its output has just been given to the pump, so it waits for it.
                state.reaped[handle] = run
                state.awaitingOutput[handle] = run.outputDeadline ?? .now() + outputGrace
                defer { state.sweepArmed = true }
                return (true, !state.sweepArmed)
            }
            if exitedAlready, let cgroup { cgroups?.ended(cgroup) }
            if armSweep { scheduleSweep(after: outputGrace) }
            return pid
        }
        let pid: Int32
        switch launched {
        case .success(let started):
            pid = started
        case .failure(let error):
            if let cgroup { cgroups?.discard(cgroup) }
            (out + err).forEach { Glibc.close($0) }
            return .failed(error)
        }
        Glibc.close(out[1])
        Glibc.close(err[1])
        if orphans != nil { startOrphanTimer() }
        return .started(RunDetail(pid: pid))
    }

    private static func pipeError(_ code: Int32) -> LaunchError {
        LaunchError(message: "cannot make a pipe: \(errorText(code))", transient: LaunchError.isTransient(code))
    }

    package func signal(_ handle: RunHandle, _ signal: Int32) {
        let at = clock.now()
        let pid = state.withLock { state -> Int32? in
            guard let pid = state.pidByHandle[handle] else { return nil }
            if state.unreaped[pid]?.firstSignalAt == nil { state.unreaped[pid]?.firstSignalAt = at }
            return pid
        }
        guard let pid else { return }
        // The launcher refuses once the leader is reaped: its group id may be someone else's then.
        launcher.signalGroup(pid, signal)
    }


    private func exited(_ pid: Int32, _ termination: ProcessTermination, _ usage: ResourceUsage?) {
        let reapedAt = clock.now()
        let happenedSince = loop?.servedSince
        let (ready, armSweep, cgroup) = state.withLock { state -> (RunHandle?, Bool, TaskCgroups.Group?) in
            // An adopted orphan is only reaped; it is nobody's run.
            if state.adopted.removeValue(forKey: pid) != nil { return (nil, false, nil) }
            var run: Run
            if var older = state.superseded[pid], !older.isEmpty {
                run = older.removeFirst()
                state.superseded[pid] = older.isEmpty ? nil : older
            } else {
                run = state.unreaped.removeValue(forKey: pid) ?? Run()
            }
            let at = Self.exitMoment(
                reapedAt: reapedAt, happenedSince: happenedSince, launchedAt: run.launchedAt,
                firstSignalAt: run.firstSignalAt, termination)
            if let key = run.task { state.liveTasks[key] = nil }
            let cgroup = run.cgroup
            run.cgroup = nil
            run.termination = termination
            run.usage = usage
            run.exitedAt = at
            run.outputDeadline = .now() + outputGrace
            guard let handle = run.handle else {
                // Seen before `launch` recorded it: `launch` takes it from here.
                state.unreaped[pid] = run
                return (nil, false, cgroup)
            }
            state.pidByHandle[handle] = nil
            state.reaped[handle] = run
            if run.openStreams == 0 { return (handle, false, cgroup) }
            state.awaitingOutput[handle] = run.outputDeadline
            defer { state.sweepArmed = true }
            return (nil, !state.sweepArmed, cgroup)
        }
        if let cgroup { cgroups?.ended(cgroup) }
        if let ready { report(ready) }
        if armSweep { scheduleSweep(after: outputGrace) }
    }

    /// When the exit happened, as closely as we know: reaped from a loop that was busy, it
    /// happened after the loop's last look (``SchedulerLoop/servedSince``), and no earlier than
    /// the launch, or than our first signal when a signal ended it. The earliest of what is
    /// possible: a task that may have ended before its deadline is not judged timed out.
    package static func exitMoment(
        reapedAt: Moment, happenedSince: Moment?, launchedAt: Moment?, firstSignalAt: Moment?, _ termination: ProcessTermination
    ) -> Moment {
        guard var at = happenedSince, at < reapedAt else { return reapedAt }
        if let launchedAt { at = max(at, launchedAt) }
        if case .signaled = termination, let firstSignalAt { at = max(at, firstSignalAt) }
        return min(at, reapedAt)
    }

    private func scheduleSweep(after delay: DispatchTimeInterval) {
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [weak self] in self?.sweep() }
    }

    /// Reports the runs whose output grace is over, and waits for the next one, if any.
    private func sweep() {
        let now = DispatchTime.now()
        let (due, next) = state.withLock { state -> ([RunHandle], DispatchTime?) in
            let due = state.awaitingOutput.filter { $0.value <= now }.map(\.key)
            for handle in due { state.awaitingOutput[handle] = nil }
            let next = state.awaitingOutput.values.min()
            if next == nil { state.sweepArmed = false }
            return (due, next)
        }
        for handle in due { report(handle) }
        if let next {
            scheduleSweep(after: .nanoseconds(Int(min(next.uptimeNanoseconds - min(now.uptimeNanoseconds, next.uptimeNanoseconds), UInt64(Int.max)))))
        }
    }

    private func streamClosed(_ token: UInt64) {
        enum Next { case nothing, report(RunHandle), outputComplete(RunHandle) }
        let next = state.withLock { state -> Next in
            guard let handle = state.streamOwners.removeValue(forKey: token) else { return .nothing }
            if let pid = state.pidByHandle[handle] {
                // Still running: its exit is reported once it is reaped.
                state.unreaped[pid]?.openStreams -= 1
                return .nothing
            }
            guard var run = state.reaped[handle] else { return .nothing }
            run.openStreams -= 1
            if run.openStreams == 0 && run.reported {
                // Reported already (after the grace period): its output is complete only now.
                state.reaped[handle] = nil
                return .outputComplete(handle)
            }
            state.reaped[handle] = run
            return run.openStreams == 0 ? .report(handle) : .nothing
        }
        switch next {
        case .nothing: break
        case .report(let handle): report(handle)
        case .outputComplete(let handle): inbox.post(.outputComplete(handle, at: clock.now()))
        }
    }

    /// Hands a reaped run's exit to the scheduler, once.
    private func report(_ handle: RunHandle) {
        let report = state.withLock { state -> BackendReport? in
            guard var run = state.reaped[handle], let termination = run.termination,
                  let at = run.exitedAt, !run.reported else { return nil }
            run.reported = true
            state.awaitingOutput[handle] = nil
            let complete = run.openStreams == 0
            state.reaped[handle] = complete ? nil : run
            return .exited(handle, termination, at: at, outputComplete: complete, usage: run.usage)
        }
        if let report { inbox.post(report) }
    }

    // MARK: Orphans

    package func close() async {
        guard orphans != nil else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            orphanQueue.async {
                self.sweepOrphans(final: true)
                continuation.resume()
            }
        }
    }

    private func startOrphanTimer() {
        let start = state.withLock { state -> Bool in
            defer { state.orphanTimerRunning = true }
            return !state.orphanTimerRunning
        }
        if start { scheduleOrphanSweep() }
    }

    private func scheduleOrphanSweep() {
        guard let orphans else { return }
        orphanQueue.asyncAfter(deadline: .now() + orphans.interval) { [weak self] in
            guard let self else { return }
            self.sweepOrphans(final: false)
            let goOn = self.state.withLock { state -> Bool in
                let goOn = !state.unreaped.isEmpty || !state.reaped.isEmpty || !state.adopted.isEmpty || self.launcher.liveChildren > 0
                if !goOn { state.orphanTimerRunning = false }
                return goOn
            }
            if goOn { self.scheduleOrphanSweep() }
        }
    }

    /// Adopts the children reparented to us and kills those whose task has ended (all of them
    /// when `final`). Runs on its own queue, a few times a second while anything runs.
    private func sweepOrphans(final: Bool) {
        guard let orphans else { return }
        ProcessLauncher.whileNoSpawnInFlight { adoptNewOrphans(orphans) }
        let doomed = state.withLock { state -> [OrphanSweep.Found] in
            state.adopted.values.compactMap { $0 }.filter { found in
                // A task that still runs may keep what it started; once it has ended, nothing does.
                final || state.liveTasks[found.key] != found.attempt
            }
        }
        // Under the reaper's lock: an orphan reaped after the list above was made has a number
        // the kernel may already have given to someone else's process.
        for found in doomed { _ = launcher.whileUnreaped(found.pid) { OrphanSweep.kill(found) } }
    }

    /// Starts watching every child of ours that we did not launch (orphans reparented to us).
    private func adoptNewOrphans(_ orphans: OrphanPolicy) {
        for pid in Self.childrenOfThisProcess() where !ProcessLauncher.isWatchedByAnyLauncher(pid) {
            let found = OrphanSweep.task(of: pid, orphans.stateDirectory)
            let isNew = state.withLock { state -> Bool in
                guard state.adopted[pid] == nil else { return false }
                state.adopted[pid] = .some(found)
                return true
            }
            guard isNew else { continue }
            do {
                try launcher.adopt(pid)
            } catch {
                // Gone already, or cannot be watched: nothing left to reap through us.
                _ = state.withLock { $0.adopted.removeValue(forKey: pid) }
            }
        }
    }

    /// Our children, from every thread's /proc/self/task/TID/children.
    private static func childrenOfThisProcess() -> [Int32] {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        var children: [Int32] = []
        for thread in threads {
            guard let text = try? String(contentsOfFile: "/proc/self/task/\(thread)/children", encoding: .utf8) else { continue }
            children.append(contentsOf: text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        }
        return children
    }
}
