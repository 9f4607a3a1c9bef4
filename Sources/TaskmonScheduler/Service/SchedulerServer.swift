import Foundation
import Logging
import Synchronization
import TaskmonKit

/// A running scheduler: its state dir locked, its state recovered, its socket open.
///
/// ```swift
/// let server = try await SchedulerServer.start(SchedulerConfiguration(stateDirectory: dir))
/// await server.waitUntilStopped()   // until a client sends `shutdown` or `stop()` is called
/// ```
public final class SchedulerServer: Sendable {
    public let configuration: SchedulerConfiguration
    private let lock: StateLock
    private let scheduler: Scheduler
    private let socket: SocketServer
    /// A cgroup per run, shared by the local backend and its host pool; closed once both are.
    private let cgroups: TaskCgroups?
    private let stopped = Mutex<[CheckedContinuation<Void, Never>]?>([])
    private let stopping = Mutex(false)

    private let logger: Logger

    private init(
        configuration: SchedulerConfiguration, lock: StateLock, scheduler: Scheduler, socket: SocketServer, cgroups: TaskCgroups?, logger: Logger
    ) {
        self.logger = logger
        self.cgroups = cgroups
        self.configuration = configuration
        self.lock = lock
        self.scheduler = scheduler
        self.socket = socket
    }

    /// Locks the state dir (a second scheduler on it is refused), opens the database,
    /// recovers what a crashed scheduler left, and starts listening.
    public static func start(_ configuration: SchedulerConfiguration, logger: Logger = Logger(label: "taskmon.scheduler")) async throws -> SchedulerServer {
        let directory = configuration.stateDirectory
        try StateDirectoryGuard.prepare(directory)
        let lock = try StateLock(directory)
        let store: Store
        let snapshot: Store.Snapshot
        do {
            store = try Store(path: directory.databasePath, maxStoredEvents: configuration.maxStoredEvents)
            snapshot = try store.load()
        } catch {
            throw SchedulerStartError(description: "cannot open the database \(directory.databasePath): \(error)")
        }
        for problem in snapshot.problems { logger.warning("recovery: \(problem)") }
        let hub = EventHub(lastSeq: snapshot.lastSeq, store: store)
        let loop = SchedulerLoop(clock: configuration.clock)
        // A start that fails lets the loop's thread end once what it serves is released.
        var started = false
        defer { if !started { loop.stop() } }
        let scheduler = Scheduler(
            configuration: configuration, store: store, snapshot: snapshot, hub: hub, logger: logger, loop: loop)
        await scheduler.resumeJobIDs(after: snapshot.jobIDHighWater)
        let inbox = BackendInbox(wake: { [weak scheduler] in scheduler?.reportsArrived() })
        // A scheduler's own process only (a test process must not adopt or contain other tests'
        // tasks); a crashed scheduler's leftovers on this state dir are killed here.
        var cgroups: TaskCgroups?
        if configuration.adoptsOrphans && configuration.backend == .local {
            switch TaskCgroups.makeOrExplain(stateDirectory: directory) {
            case .success(let made):
                cgroups = made
                logger.info("each task runs in a cgroup of its own, under \(made.root)")
            case .failure(let why) where why.noHierarchy:
                logger.info("tasks run without cgroups: \(why)")
            case .failure(let why):
                logger.warning("tasks run without cgroups: \(why)")
            }
        }
        await scheduler.attach(try await makeBackend(configuration, inbox: inbox, cgroups: cgroups, loop: loop), inbox: inbox)

        let shutdownRequest = Mutex<SchedulerServer?>(nil)
        let recovered = AsyncGate()
        let service = SchedulerService(
            scheduler: scheduler, hub: hub, stateDirectory: directory, slots: configuration.slots, ready: recovered,
            onShutdown: {
                guard let server = shutdownRequest.withLock({ $0 }) else { return }
                Task { await server.stop() }
            })
        // The socket first: a scheduler that cannot listen must exit before it has recovered
        // (and so started) anything. Requests wait at the gate until recovery is done.
        let socket: SocketServer
        do {
            socket = try SocketServer(
                socketPath: directory.socketPath, handler: service,
                maxLineBytesBeforeHello: LineFrameDecoder.defaultMaxLineBytesBeforeHello)
            try await socket.start()
        } catch {
            throw SchedulerStartError(description: "cannot listen on \(directory.socketPath): \(error)")
        }
        await scheduler.recover()
        recovered.open()
        let server = SchedulerServer(
            configuration: configuration, lock: lock, scheduler: scheduler, socket: socket, cgroups: cgroups, logger: logger)
        shutdownRequest.withLock { $0 = server }
        started = true
        logger.info("scheduler \(getpid()) serving \(directory.socketPath) with \(configuration.slots) slot(s)")
        return server
    }

    /// The backend the configuration asks for.
    private static func makeBackend(
        _ configuration: SchedulerConfiguration, inbox: BackendInbox, cgroups: TaskCgroups?, loop: SchedulerLoop
    ) async throws -> any Backend {
        switch configuration.backend {
        case .local:
            return RoutingBackend(
                local: LocalBackend(
                    inbox: inbox, clock: configuration.clock,
                    outputGrace: .milliseconds(Int(Moment.nanoseconds(configuration.outputGrace) / 1_000_000)),
                    orphans: configuration.adoptsOrphans ? LocalBackend.OrphanPolicy(stateDirectory: configuration.stateDirectory) : nil,
                    cgroups: cgroups, loop: loop),
                hosts: HostPool(inbox: inbox, clock: configuration.clock, capacity: configuration.slots, cgroups: cgroups))
        case .slurm(let settings):
            try SpoolCheck.writable(configuration.stateDirectory.outputPath)
            do {
                return try await SlurmBackend.connect(
                    settings, inbox: inbox, clock: configuration.clock, environment: configuration.baseEnvironment)
            } catch let error as SlurmSetupError {
                throw SchedulerStartError(description: error.description)
            }
        }
    }

    /// Stops listening, stops running tasks (they run again on the next start), and releases the state dir.
    public func stop() async {
        let first = stopping.withLock { already in
            defer { already = true }
            return !already
        }
        guard first else { return await waitUntilStopped() }
        await socket.stop()
        if await shutdownScheduler(), let cgroups {
            // Both backends are closed: what is left in the cgroups is killed, and they are removed.
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                DispatchQueue.global().async {
                    cgroups.close()
                    continuation.resume()
                }
            }
        }
        // Its thread ends once the backend it reaps for is released.
        scheduler.loop.stop()
        lock.release()
        let waiters = stopped.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Stops the scheduler; its last commit may wait for ever on a full disk, so once the
    /// database has been failing for a while, stopping goes on without it (what was not
    /// stored was never acknowledged) and says what was left behind. True when it stopped
    /// (its backends closed), false when it gave up.
    private func shutdownScheduler() async -> Bool {
        let scheduler = self.scheduler
        let done = AsyncGate()
        Task {
            await scheduler.shutdown()
            done.open()
        }
        let commits = scheduler.commits
        let gaveUp = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await done.wait()
                return false
            }
            group.addTask {
                // Only a failing database makes us give up; a slow one is waited for.
                var failing = 0
                while failing < Self.storageGracePeriod {
                    try? await Task.sleep(for: .seconds(1))
                    if Task.isCancelled { return false }
                    failing = commits.storageError == nil ? 0 : failing + 1
                }
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        if gaveUp {
            logger.critical("stopping without the last changes: the database cannot be written (\(commits.storageError ?? "")); they were never acknowledged")
        }
        return !gaveUp
    }

    /// Seconds of failing commits after which a stop goes on without them.
    static let storageGracePeriod = 20

    /// Returns once the scheduler has stopped.
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = stopped.withLock { waiters in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if alreadyStopped { continuation.resume() }
        }
    }
}
