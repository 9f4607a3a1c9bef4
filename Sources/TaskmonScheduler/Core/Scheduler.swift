import Foundation
import Logging
import TaskmonKit

/// The one owner of scheduling state, and the one interpreter of the lifecycle's effects.
///
/// Every entry point feeds the ``Lifecycle`` reducer an input stamped with the clock's moment
/// (requests) or the moment it happened (backend reports), then ``settle()``s: it carries out the
/// effects the reducer asked for (launches, signals) and hands the changes to the
/// ``CommitQueue``, which commits them and only then publishes their events. I/O the reducer
/// needs as input (channel files, the tail of a failed task's stderr) is read here.
///
/// It runs on the ``SchedulerLoop``'s thread, which also reaps and pumps for the local backend:
/// a report found there is drained in the same wake-up, with no thread of the pool woken.
actor Scheduler {
    let configuration: SchedulerConfiguration
    let hub: EventHub
    let logger: Logger
    let clock: any SchedulerClock
    let commits: CommitQueue
    var lifecycle: Lifecycle
    private(set) var backend: (any Backend)!
    private var inbox: BackendInbox!
    /// Channel readers of running tasks, by run.
    private var channels: [RunHandle: ChannelReader] = [:]
    /// The number the commit queue will give the last event handed to it so far.
    private var handedOverSeq: UInt64
    private var ticker: Task<Void, Never>?
    private let journal: LaunchJournal
    private var compacting = false
    /// The thread this actor runs on.
    nonisolated let loop: SchedulerLoop

    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }

    init(
        configuration: SchedulerConfiguration, store: Store, snapshot: Store.Snapshot, hub: EventHub, logger: Logger,
        loop: SchedulerLoop
    ) {
        self.loop = loop
        self.configuration = configuration
        self.hub = hub
        self.logger = logger
        clock = configuration.clock
        commits = CommitQueue(store: store, hub: hub, lastSeq: snapshot.lastSeq, logger: logger)
        handedOverSeq = snapshot.lastSeq
        journal = LaunchJournal(stateDirectory: configuration.stateDirectory)
        var settings = Lifecycle.Settings(
            stateDirectory: configuration.stateDirectory, slots: configuration.slots,
            cancelGracePeriod: configuration.cancelGracePeriod, baseEnvironment: configuration.baseEnvironment)
        settings.countsResources = configuration.backend == .local
        settings.memoryMB = configuration.memoryMB
        lifecycle = Lifecycle(settings: settings, jobs: snapshot.jobs)
    }

    /// Connects the backend, which posts its reports to `inbox`.
    func attach(_ backend: any Backend, inbox: BackendInbox) {
        self.backend = backend
        self.inbox = inbox
    }

    /// Called (through the inbox's wake) when reports wait: drains them all in one turn, on the
    /// loop, once what it is doing now is done (from the loop itself: before it sleeps again).
    nonisolated func reportsArrived() {
        loop.schedule { [weak self] in self?.assumeIsolated { $0.drainReports() } }
    }

    // MARK: Reading state (queries)

    var jobs: [JobID: JobState] { lifecycle.jobs }
    var jobOrder: [JobID] { lifecycle.jobOrder }
    var busySlots: Int { lifecycle.busySlots }

    func outputPath(_ task: TaskState, _ stream: OutputStreamName) -> String {
        lifecycle.outputPath(task, stream)
    }

    func outputPath(_ task: TaskState, _ record: AttemptRecord, _ stream: OutputStreamName) -> String {
        lifecycle.outputPath(task, record, stream)
    }

    /// The number of the event that describes the state in memory right now: the commit queue
    /// numbers events one by one in the order they are handed over, so a snapshot taken in
    /// this actor turn reflects exactly the events up to here, committed yet or not.
    var stateSeq: UInt64 { handedOverSeq + UInt64(lifecycle.events.count) }

    // MARK: Requests

    func submitChecked(_ spec: JobSpec) -> SubmitResult {
        let result = lifecycle.submit(spec, at: clock.now())
        settle()
        return result
    }

    func cancel(job id: JobID, task index: TaskIndex?, message: String?, user: String) throws(SchedulerRequestError) -> CancelResult {
        defer { settle() }
        return try lifecycle.cancel(job: id, task: index, message: message, user: user, at: clock.now())
    }

    func retry(job id: JobID, task index: TaskIndex) throws(SchedulerRequestError) {
        defer { settle() }
        try lifecycle.retry(job: id, task: index, at: clock.now())
    }

    /// Queues `keys` and the retryable failures of the jobs `failedOf` again, in one actor turn
    /// and so one commit; what cannot be retried is counted, not thrown.
    func retry(_ keys: [TaskKey], failedOf jobs: [JobID]) -> RetryTasksResult {
        defer { settle() }
        return lifecycle.retry(keys, failedOf: jobs, at: clock.now())
    }

    func recover() {
        // Runs a cluster went on with while no scheduler ran are taken back first; the rest
        // of what was ASSIGNED or RUNNING is interrupted below.
        let now = clock.now()
        var adopted = 0
        var adoptedKeys: Set<TaskKey> = []
        for (key, detail, request) in lifecycle.adoptionCandidates() {
            let handle = lifecycle.adoptRun(key, detail, at: now)
            if backend.adopt(handle, detail, request) {
                if let channel = request.channelPath { channels[handle] = ChannelReader(path: channel) }
                adopted += 1
                adoptedKeys.insert(key)
            } else {
                lifecycle.abandonAdoption(handle)
            }
        }
        if adopted > 0 { logger.notice("re-attached to \(adopted) task(s) still in the \(backend.name) backend") }
        // Processes of this state dir's tasks that a crashed scheduler left (here, not adopted):
        // found by their marker even when their start was never recorded, killed, and their
        // attempt counted.
        let orphans = OrphanSweep.scan(configuration.stateDirectory).filter { !adoptedKeys.contains($0.key) }
        orphans.forEach(OrphanSweep.kill)
        if !orphans.isEmpty { logger.notice("killed \(orphans.count) process(es) left by the last scheduler's tasks") }
        var started = journal.startedAttempts()
        for orphan in orphans { started[orphan.key] = max(started[orphan.key] ?? 0, orphan.attempt) }
        for key in adoptedKeys { started[key] = nil }
        journal.start()
        let recovered = lifecycle.recover(at: now, startedAttempts: started)
        if recovered > 0 { logger.notice("recovered \(recovered) task(s) left unfinished by the last scheduler") }
        settle()
    }

    /// Stops dispatching, asks every run to stop and waits up to the grace period (then SIGKILL,
    /// then up to 2 s more); what was running is INTERRUPTED and queued again for the next start.
    func shutdown() async {
        if backend.runsOutliveScheduler {
            // A cluster's runs go on; the next scheduler adopts them. Launches already asked
            // for are submitted (close), and what they report is committed before we stop.
            lifecycle.shuttingDown = true
            await backend.close()
            drainReports()
            ticker?.cancel()
            await commits.flushed()
            return
        }
        lifecycle.beginShutdown(at: clock.now())
        settle()
        await waitForRuns(until: clock.now() + configuration.cancelGracePeriod)
        lifecycle.killEverything()
        settle()
        await waitForRuns(until: clock.now() + .seconds(2))
        ticker?.cancel()
        await backend.close()
        await commits.flushed()
    }

    private func waitForRuns(until deadline: Moment) async {
        while !lifecycle.runs.isEmpty && clock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    // MARK: Interpreting

    /// Carries out the reducer's effects, hands its changes to the commit queue, and keeps the
    /// ticker running while anything runs.
    func settle() {
        carryOutEffects()
        flush()
        ensureTicker()
    }

    /// Carries out every effect the reducer asked for. A launch's outcome feeds the reducer at
    /// once, which may ask for more (a failed launch frees its slot for the next task): loop
    /// until nothing is left.
    private func carryOutEffects() {
        var effects = lifecycle.takeEffects()
        while !effects.isEmpty {
            for effect in effects { carryOut(effect) }
            effects = lifecycle.takeEffects()
        }
    }

    private func carryOut(_ effect: Lifecycle.Effect) {
        switch effect {
        case .launch(let handle, let request):
            if case .task(let key) = request.purpose {
                journal.record(key, attempt: Int(request.environment[TaskEnvironment.attempt] ?? "") ?? 0)
                compactJournalIfLarge()
            }
            if let channel = request.channelPath { channels[handle] = ChannelReader(path: channel) }
            let outcome = backend.launch(handle, request)
            if case .failed = outcome { channels[handle] = nil }
            lifecycle.launched(handle, outcome, at: clock.now())
        case .signal(let handle, let signal):
            backend.signal(handle, signal)
        case .killOrphan(let pid, let key):
            OrphanSweep.kill(pid: pid, key, stateDirectory: configuration.stateDirectory)
        case .discardAttemptOutput(let prefix):
            for suffix in [".stdout", ".stderr", ".channel"] { unlink(prefix + suffix) }
        }
    }

    /// Starts a new launch journal once the current one is large, and drops the old one when
    /// everything it records is committed.
    private func compactJournalIfLarge() {
        guard journal.wantsCompaction, !compacting else { return }
        compacting = true
        Task { await self.rotateJournal() }
    }

    private func rotateJournal() async {
        // Every launch journaled so far has its RUNNING change handed over by this flush.
        flush()
        journal.rotate()
        await commits.flushed()
        journal.dropRotated()
        compacting = false
    }

    /// Hands every change made since the last flush to the commit queue, which writes them
    /// (one transaction) and only then publishes their events.
    private func flush() {
        guard lifecycle.hasChanges else { return }
        let (batch, events) = lifecycle.takeChanges()
        commits.enqueue(batch, events: events, at: clock.now().wall)
        handedOverSeq += UInt64(events.count)
    }

    func drainReports() {
        for report in inbox.drain() {
            var stderrTail = ""
            if case .exited(let handle, let termination, _, _, _) = report, let run = lifecycle.runs[handle] {
                // The last lines a task wrote before it exited.
                if case .task(let key) = run.purpose { readChannel(handle, key, final: true) }
                channels[handle] = nil
                if termination != .exited(0) { stderrTail = Self.tail(of: run.stderrPath) }
            } else if case .lost(let handle, _, _) = report {
                channels[handle] = nil
            } else if case .launchFailed(let handle, _, _) = report {
                channels[handle] = nil
            }
            lifecycle.apply(report, stderrTail: stderrTail)
            // Effects first (launches for freed slots), so that one commit covers the whole burst.
            carryOutEffects()
        }
        settle()
    }

    // MARK: Ticking

    /// Keeps one loop running while anything runs: it reads channels every tick and wakes
    /// for the reducer's next deadline or kill.
    private func ensureTicker() {
        guard ticker == nil, !lifecycle.runs.isEmpty || lifecycle.nextTimer != nil else { return }
        let interval = configuration.tickInterval
        let clock = self.clock
        ticker = Task { [weak self] in
            while !Task.isCancelled {
                guard let wake = await self?.nextWake(interval) else { break }
                do { try await clock.sleep(until: wake) } catch { break }
                guard let self, await self.tick() else { break }
            }
        }
    }

    private func nextWake(_ interval: Duration) -> Moment {
        let poll = clock.now() + interval
        return min(poll, lifecycle.nextTimer ?? poll)
    }

    /// One check of every running task's channel, then the reducer's deadlines; returns false
    /// (and lets the ticker end) when nothing runs any more.
    private func tick() -> Bool {
        for (handle, run) in lifecycle.runs {
            if case .task(let key) = run.purpose, run.startedAt != nil { readChannel(handle, key, final: false) }
        }
        lifecycle.advance(to: clock.now())
        carryOutEffects()
        flush()
        if lifecycle.runs.isEmpty && lifecycle.nextTimer == nil {
            ticker = nil
            return false
        }
        return true
    }

    /// Applies what a task wrote to its channel since the last read.
    private func readChannel(_ handle: RunHandle, _ key: TaskKey, final: Bool) {
        guard var reader = channels[handle] else { return }
        let records = reader.read(final: final)
        channels[handle] = reader
        if !records.isEmpty { lifecycle.channelRecords(key, records) }
    }

    /// The last lines of a file (at most 4 KiB), for exception traces; opened as every file a
    /// task can touch is (``SafeFile``): a link, a FIFO or another user's file reads as empty.
    static func tail(of path: String, bytes: Int = 4096) -> String {
        guard let file = try? SafeFile.openForReading(path), file.size > 0 else { return "" }
        let start = max(0, file.size - Int64(bytes))
        var text = String(decoding: file.read(offset: start, length: bytes), as: UTF8.self)
        if start > 0, let newline = text.firstIndex(of: "\n") { text = String(text[text.index(after: newline)...]) }
        return text
    }
}
