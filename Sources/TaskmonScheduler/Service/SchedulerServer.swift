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
    private let stopped = Mutex<[CheckedContinuation<Void, Never>]?>([])
    private let stopping = Mutex(false)

    private init(configuration: SchedulerConfiguration, lock: StateLock, scheduler: Scheduler, socket: SocketServer) {
        self.configuration = configuration
        self.lock = lock
        self.scheduler = scheduler
        self.socket = socket
    }

    /// Locks the state dir (a second scheduler on it is refused), opens the database,
    /// recovers what a crashed scheduler left, and starts listening.
    public static func start(_ configuration: SchedulerConfiguration, logger: Logger = Logger(label: "taskmon.scheduler")) async throws -> SchedulerServer {
        let directory = configuration.stateDirectory
        do {
            try FileManager.default.createDirectory(
                atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            chmod(directory.path, 0o700)
            try FileManager.default.createDirectory(atPath: directory.outputPath, withIntermediateDirectories: true)
        } catch {
            throw SchedulerStartError(description: "cannot create the state dir \(directory.path): \(error.localizedDescription)")
        }
        let lock = try StateLock(directory)
        let store: Store
        let snapshot: Store.Snapshot
        do {
            store = try Store(path: directory.databasePath)
            snapshot = try store.load()
        } catch {
            throw SchedulerStartError(description: "cannot open the database \(directory.databasePath): \(error)")
        }
        let hub = EventHub(lastSeq: snapshot.lastSeq, store: store)
        let scheduler = Scheduler(configuration: configuration, store: store, snapshot: snapshot, hub: hub, logger: logger)
        let inbox = BackendInbox(wake: { [weak scheduler] in scheduler?.reportsArrived() })
        await scheduler.attach(try await makeBackend(configuration, inbox: inbox), inbox: inbox)
        await scheduler.recover()

        let shutdownRequest = Mutex<SchedulerServer?>(nil)
        let service = SchedulerService(
            scheduler: scheduler, hub: hub, stateDirectory: directory, slots: configuration.slots,
            onShutdown: {
                guard let server = shutdownRequest.withLock({ $0 }) else { return }
                Task { await server.stop() }
            })
        let socket: SocketServer
        do {
            socket = try SocketServer(socketPath: directory.socketPath, handler: service)
            try await socket.start()
        } catch {
            throw SchedulerStartError(description: "cannot listen on \(directory.socketPath): \(error)")
        }
        let server = SchedulerServer(configuration: configuration, lock: lock, scheduler: scheduler, socket: socket)
        shutdownRequest.withLock { $0 = server }
        logger.info("scheduler \(getpid()) serving \(directory.socketPath) with \(configuration.slots) slot(s)")
        return server
    }

    /// The backend the configuration asks for.
    private static func makeBackend(_ configuration: SchedulerConfiguration, inbox: BackendInbox) async throws -> any Backend {
        switch configuration.backend {
        case .local:
            return LocalBackend(inbox: inbox, clock: configuration.clock)
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
        await scheduler.shutdown()
        lock.release()
        let waiters = stopped.withLock { waiters in
            defer { waiters = nil }
            return waiters ?? []
        }
        for waiter in waiters { waiter.resume() }
    }

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
