import Foundation
import Synchronization
import TaskmonKit

/// The monitor's connection to the scheduler, off the UI thread.
///
/// A thread of its own connects, takes a snapshot, subscribes from the snapshot's `last_seq`
/// and forwards events; when the scheduler goes away it says so and tries again every half
/// second until it is back, then starts over with a fresh snapshot (a resync without a
/// restart). Requests (load, cancel, retry) run one at a time on a second thread with their
/// own connection. Everything comes back through ``drain()``, and `wake` tells the UI loop
/// that there is something to drain.
package final class SchedulerLink: Sendable {
    private let stateDirectory: StateDirectory
    private let wake: @Sendable () -> Void
    private let inbox = Mutex(Inbox())
    private let current = Mutex(Current())
    private let requests = DispatchQueue(label: "taskmon.monitor.requests")

    private struct Inbox {
        var messages: [LinkMessage] = []
        /// Events are merged into the last `.events` message while it waits.
        var woken = false
    }

    private struct Current {
        var client: SchedulerClient?
        /// The request thread's connection: a patient one, since a page of a big job may take
        /// a while on a loaded machine, and nothing waits on it but that thread.
        var requestClient: SchedulerClient?
        var subscription: EventSubscription?
        var stopped = false
    }

    /// How long one request waits for the scheduler: a stopped (SIGSTOP) scheduler must not
    /// freeze the UI, which reads output through ``client``.
    package static let requestTimeout: Duration = .seconds(2)
    /// How long the snapshot and the request thread's calls may take: a scheduler busy with a
    /// big submit is slow, not gone, and must not show as "reconnecting".
    static let patientTimeout: Duration = .seconds(60)

    package init(stateDirectory: StateDirectory, wake: @escaping @Sendable () -> Void) {
        self.stateDirectory = stateDirectory
        self.wake = wake
    }

    /// Starts the link's thread.
    package func start() {
        let thread = Thread { [self] in run() }
        thread.name = "taskmon.monitor.link"
        thread.start()
    }

    /// Stops the link; its thread ends soon after.
    package func stop() {
        let subscription = current.withLock { current -> EventSubscription? in
            current.stopped = true
            return current.subscription
        }
        subscription?.cancel()
    }

    /// The client of the current connection, when connected: for reading output by range.
    package var client: SchedulerClient? { current.withLock { $0.client } }

    /// Everything that arrived since the last call, in order.
    package func drain() -> [LinkMessage] {
        inbox.withLock { inbox in
            inbox.woken = false
            defer { inbox.messages.removeAll(keepingCapacity: true) }
            return inbox.messages
        }
    }

    /// Runs a request on the request thread; its outcome arrives through ``drain()``.
    package func perform(_ request: LinkRequest) {
        let directory = stateDirectory
        let connect: @Sendable () throws(SchedulerClientError) -> SchedulerClient = {
            () throws(SchedulerClientError) -> SchedulerClient in
            try SchedulerClient.connect(directory, clientName: "taskmon-monitor", timeout: SchedulerLink.patientTimeout)
        }
        requests.async { [self] in
            guard let client = current.withLock({ $0.requestClient }) else {
                post(.notice("not connected to the scheduler", isError: true))
                return
            }
            do throws(SchedulerClientError) {
                switch request {
                case .loadTasks(let job):
                    try Self.taskPages(client, job) { page, complete in post(.tasksLoaded(job, [page], complete: complete)) }
                case .loadTask(let job, let task, let attempt):
                    post(.taskLoaded(try client.task(job, task, outputCap: 0, attempt: attempt)))
                case .loadJob(let job):
                    post(.jobLoaded(try client.job(job)))
                case .cancel(let job, let task, let message):
                    let result = try client.cancel(job, task: task, message: message)
                    let what = task.map { "task \(job)/\($0)" } ?? "job \(job)"
                    post(.notice(result.canceled == 0 ? "\(what): nothing left to cancel" : "cancel sent to \(what)", isError: false))
                case .retry(let job, let task):
                    try client.retry(job, task)
                    post(.notice("task \(job)/\(task) queued again", isError: false))
                case .cancelTasks(let refs, let message):
                    let outcome = BulkOutcome.runParallel(refs, fallback: client, connect: connect) { client, ref throws(SchedulerClientError) in
                        try client.cancel(ref.jobID, task: ref.taskID, message: message).canceled > 0
                    }
                    post(.notice(outcome.text(done: "canceled", of: "tasks"), isError: outcome.failed > 0))
                case .cancelJobs(let ids, let message):
                    let outcome = BulkOutcome.run(ids) { id throws(SchedulerClientError) in
                        try client.cancel(id, task: nil, message: message).canceled > 0
                    }
                    post(.notice(outcome.text(done: "canceled", of: "jobs"), isError: outcome.failed > 0))
                case .retryTasks(let refs):
                    let outcome = try BulkOutcome.retry(refs, failedOf: [], client: client, connect: connect)
                    post(.notice(outcome.text(done: "queued again", of: outcome.done == 1 ? "task" : "tasks"), isError: outcome.failed > 0))
                case .retryFailed(let ids):
                    let outcome = try BulkOutcome.retry([], failedOf: ids, client: client, connect: connect)
                    post(.notice(outcome.done + outcome.unchanged + outcome.failed == 0
                                     ? "no failed task to retry" : outcome.text(done: "queued again", of: outcome.done == 1 ? "failed task" : "failed tasks"),
                                 isError: outcome.failed > 0))
                }
            } catch {
                post(.notice(error.description, isError: true))
            }
        }
    }

    /// Fetches a job's tasks a page at a time, handing each page over as it comes.
    private static func taskPages(_ client: SchedulerClient, _ job: JobID,
                                  _ deliver: (JobInfo, _ complete: Bool) -> Void) throws(SchedulerClientError) {
        var page = try client.taskRows(of: job, offset: 0, limit: pageSize)
        var loaded = page.taskRows?.count ?? 0
        let total = page.taskCount
        while loaded < total {
            deliver(page, false)
            page = try client.taskRows(of: job, offset: loaded, limit: pageSize)
            let count = page.taskRows?.count ?? 0
            if count == 0 { break }
            loaded += count
        }
        deliver(page, true)
    }

    private static let pageSize = 20_000

    private func post(_ message: LinkMessage) {
        let shouldWake = inbox.withLock { inbox -> Bool in
            if case .events(let more) = message, case .events(var earlier)? = inbox.messages.last {
                // Out of the inbox first, so the array is appended to in place: building a new
                // one per event made 100,000 events (a big cancel) cost seconds of copying.
                inbox.messages.removeLast()
                earlier.append(contentsOf: more)
                inbox.messages.append(.events(earlier))
            } else {
                inbox.messages.append(message)
            }
            defer { inbox.woken = true }
            return !inbox.woken
        }
        if shouldWake { wake() }
    }

    private var isStopped: Bool { current.withLock { $0.stopped } }

    private func run() {
        // Said once per outage (and again if the reason changes), not on every try.
        var announced: String?
        while !isStopped {
            do throws(SchedulerClientError) {
                try follow { announced = nil }
            } catch {
                let reason = Self.shortReason(error)
                if reason != announced {
                    post(.disconnected(reason))
                    announced = reason
                }
            }
            current.withLock {
                $0.client = nil
                $0.requestClient = nil
                $0.subscription = nil
            }
            // Half a second between tries: quick to come back, cheap while the scheduler is away.
            for _ in 0..<5 where !isStopped { Thread.sleep(forTimeInterval: 0.1) }
        }
    }

    /// One connection's life: snapshot, subscribe, forward events until it ends.
    private func follow(connected: () -> Void) throws(SchedulerClientError) {
        // The quick connection first: a scheduler that does not even greet is reported at once.
        let client = try SchedulerClient.connect(stateDirectory, clientName: "taskmon-monitor", timeout: Self.requestTimeout)
        let patient = try SchedulerClient.connect(stateDirectory, clientName: "taskmon-monitor", timeout: Self.patientTimeout)
        let list = try patient.jobList()
        let subscription = try patient.subscribe(afterSeq: list.lastSeq)
        let stopped = current.withLock { current -> Bool in
            current.client = client
            current.requestClient = patient
            current.subscription = subscription
            return current.stopped
        }
        if stopped { subscription.cancel() }
        post(.connected(client.hello, list))
        connected()
        pollStatus(patient, after: .zero)
        while let message = try subscription.next() {
            switch message {
            case .event(let event):
                post(.events([event]))
            case .resync:
                // Fell behind (or history was gone): start over with a fresh snapshot.
                return
            }
        }
        if !isStopped { throw .connectionLost("the subscription ended") }
    }

    /// How often the header's scheduler status (backend problems, storage errors) is asked for.
    static let statusInterval: Duration = .seconds(2)

    /// Asks for the scheduler's status on the request thread, again and again while `client`
    /// is the current connection.
    private func pollStatus(_ client: SchedulerClient, after delay: Duration) {
        let milliseconds = Int(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)
        requests.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
            guard current.withLock({ $0.requestClient === client && !$0.stopped }) else { return }
            if let status = try? client.status() { post(.status(status)) }
            pollStatus(client, after: Self.statusInterval)
        }
    }

    private static func shortReason(_ error: SchedulerClientError) -> String {
        switch error {
        case .notRunning: "scheduler not running"
        case .connectionLost: "connection lost"
        case .timedOut: "scheduler not answering"
        case .protocolError(let detail): detail
        case .rpc(let error): error.message
        }
    }
}
