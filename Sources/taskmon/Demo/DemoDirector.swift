import Foundation
import Logging
import Synchronization
import TaskmonKit

/// Does what a user would do to the demo's jobs while they run: today, cancel the canary
/// deployment a few seconds after it started, which is what makes CANCELING and a DIRECT
/// "Canceled by …" happen for real.
///
/// It runs on a thread of its own with the blocking client, not on Swift's cooperative pool:
/// the pool may have as few threads as cores, the monitor holds the main thread, and a pool
/// thread blocked in a client call could be the one the in-process scheduler needs in order
/// to answer it.
final class DemoDirector: Sendable {
    private let client: SchedulerClient
    private let jobs: [String: JobID]
    private let logger: Logger
    private let stopRequested = Mutex(false)
    /// Signalled by ``stop()`` so that a pause ends at once.
    private let wakeup = DispatchSemaphore(value: 0)

    init(client: SchedulerClient, jobs: [String: JobID], logger: Logger) {
        self.client = client
        self.jobs = jobs
        self.logger = logger
    }

    /// Starts the timed actions on a new thread.
    func start() {
        let thread = Thread { [self] in self.direct() }
        thread.name = "taskmon demo director"
        thread.start()
    }

    /// Ends the timed actions; a client call under way fails once the client is closed.
    func stop() {
        stopRequested.withLock { $0 = true }
        wakeup.signal()
    }

    private var stopping: Bool { stopRequested.withLock { $0 } }

    /// Waits `seconds` unless stopped first; true when the time passed.
    private func pause(_ seconds: Double) -> Bool {
        if stopping { return false }
        return wakeup.wait(timeout: .now() + seconds) == .timedOut && !stopping
    }

    private func direct() {
        guard let canary = jobs[DemoWorkload.deployCanary().name ?? ""] else { return }
        do {
            // Cancel the rollout once it has run for a while, as someone watching it would.
            var waited = 0.0
            while try client.task(canary, 0, outputCap: 0).status != .running {
                // It starts first (highest priority, submitted first); give up if it never does.
                guard waited < 120, pause(0.25) else { return }
                waited += 0.25
            }
            guard pause(DemoWorkload.cancelAfter) else { return }
            let result = try client.cancel(canary, task: 0, message: DemoWorkload.cancelMessage)
            logger.info("demo: canceled \(result.canceled) task(s) of job \(canary) (deploy-canary)")
        } catch {
            // Stopping closes the client under a call; anything else is worth a line in the log.
            if !stopping { logger.error("demo: the timed actions stopped: \(error)") }
        }
    }
}
