import Foundation
import Glibc
import Synchronization
import TaskmonKit

/// Hands runs to a Slurm cluster: launches made in one burst go as one job array (`sbatch
/// --parsable --array=0-N`), split at MaxArraySize/MaxJobCount; one `squeue` poll follows all
/// of them; signals are `scancel`s.
///
/// Every Slurm command runs on the backend's own serial queue, never on the scheduler's actor
/// or the cooperative pool. The backend keeps its own record of what it submitted and
/// cancelled: Slurm forgets finished elements after MinJobAge and a cancelled pending element
/// at once. Runs outlive the scheduler: a restarted scheduler adopts them by their Slurm id.
package final class SlurmBackend: Backend {
    package let name = "slurm"
    package var runsOutliveScheduler: Bool { true }

    let settings: SlurmSettings
    let limits: SlurmLimits
    let inbox: BackendInbox
    let clock: any SchedulerClock
    let command: SlurmCommand
    let queue = DispatchQueue(label: "taskmon.slurm")
    let state = Mutex(SlurmBackendState())
    /// The scheduler's own cwd: where a task without a cwd runs, as it would locally.
    let defaultDirectory: String
    /// Wakes an early poll when a task's stdout on the spool is closed (nil without inotify).
    let endWatch: SpoolEndWatch?

    private struct WeakBackend {
        weak var backend: SlurmBackend?
    }

    /// Checks that Slurm is there and answers (on the backend's queue, not the caller's
    /// thread), reads its limits, and starts polling.
    package static func connect(
        _ settings: SlurmSettings, inbox: BackendInbox, clock: any SchedulerClock,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> SlurmBackend {
        var environment = environment
        if let conf = settings.slurmConf { environment["SLURM_CONF"] = conf }
        let command = try SlurmCommand(searchPath: settings.searchPath, environment: environment)
        let queue = DispatchQueue(label: "taskmon.slurm.connect")
        let limits = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<SlurmLimits, any Error>) in
            queue.async {
                continuation.resume(with: Result { try SlurmLimits.read(command, settings: settings) })
            }
        }
        return SlurmBackend(settings: settings, limits: limits, inbox: inbox, clock: clock, command: command)
    }

    private init(settings: SlurmSettings, limits: SlurmLimits, inbox: BackendInbox, clock: any SchedulerClock, command: SlurmCommand) {
        self.settings = settings
        self.limits = limits
        self.inbox = inbox
        self.clock = clock
        self.command = command
        defaultDirectory = FileManager.default.currentDirectoryPath
        // A class reference set right below: `self` is not available to the closure yet.
        let target = Mutex(WeakBackend())
        endWatch = SpoolEndWatch(queue: queue) { target.withLock { $0.backend }?.pollSoon() }
        target.withLock { $0.backend = self }
        schedulePoll()
    }

    /// The shortest time between an early poll and the poll before it: a stream of tasks
    /// ending adds at most a few polls a second to slurmctld's load.
    static let earlyPollSpacing: Duration = .milliseconds(200)

    /// Early polls only while this few elements are left to end: then the next end may be a
    /// job's last, which a user waits for. Before, the regular poll sees ends soon enough, and
    /// early polls would only add squeue requests to slurmctld while it is busiest.
    static let earlyPollThreshold = 16

    /// A poll soon (an element's command has just exited), unless one is due soon anyway or
    /// many elements are still to end. Runs on the backend's queue.
    func pollSoon() {
        let delay = state.withLock { state -> Duration? in
            // Ended elements are forgotten: what is left is still to end.
            guard !state.closed, !state.earlyPollScheduled, state.elements.count <= Self.earlyPollThreshold else { return nil }
            state.earlyPollScheduled = true
            let since = state.lastPollEnded.map { ContinuousClock.now - $0 } ?? Self.earlyPollSpacing
            // A short pause first, so that the element's exit has reached slurmctld.
            return max(.milliseconds(30), Self.earlyPollSpacing - since)
        }
        guard let delay else { return }
        earlyPoll(after: delay, tries: 3)
    }

    /// slurmctld may not have taken the element's end in yet: a poll that saw no end is tried
    /// again a little later, a few times.
    private func earlyPoll(after delay: Duration, tries: Int) {
        queue.asyncAfter(deadline: .now() + Self.dispatchInterval(delay)) { [weak self] in
            guard let self else { return }
            if self.poll() || tries <= 1 {
                self.state.withLock { $0.earlyPollScheduled = false }
            } else {
                self.earlyPoll(after: Self.earlyPollSpacing, tries: tries - 1)
            }
        }
    }

    /// The next poll, one interval after the last one ended (so a slow squeue never piles up).
    private func schedulePoll() {
        queue.asyncAfter(deadline: .now() + Self.dispatchInterval(settings.pollInterval)) { [weak self] in
            guard let self, !self.state.withLock({ $0.closed }) else { return }
            self.poll()
            self.schedulePoll()
        }
    }

    /// Why Slurm cannot be reached right now (slurmctld down), for people to see; nil when it answers.
    package var problem: String? { state.withLock { $0.problem } }

    // MARK: Backend

    package func launch(_ handle: RunHandle, _ request: LaunchRequest) -> LaunchOutcome {
        if let problem = Self.unusable(request) { return .failed(LaunchError(message: problem)) }
        let scheduleFlush = state.withLock { state -> Bool in
            state.elements[handle] = SlurmElement(purpose: request.purpose, timeLimit: request.timeLimit)
            state.collecting.append((handle, request))
            defer { state.flushScheduled = true }
            return !state.flushScheduled
        }
        if scheduleFlush {
            queue.asyncAfter(deadline: .now() + Self.dispatchInterval(settings.collectWindow)) { [weak self] in self?.flushLaunches() }
        }
        return .pending
    }

    package func signal(_ handle: RunHandle, _ signal: Int32) {
        let scheduleFlush = state.withLock { state -> Bool in
            guard state.elements[handle] != nil else { return false }
            state.signals.append((handle, signal))
            defer { state.signalFlushScheduled = true }
            return !state.signalFlushScheduled
        }
        if scheduleFlush { queue.async { [weak self] in self?.flushSignals() } }
    }

    package func adopt(_ handle: RunHandle, _ detail: RunDetail, _ request: LaunchRequest) -> Bool {
        guard let id = detail.backendID, let (arrayJobID, index) = Self.split(id) else { return false }
        endWatch?.watch(Self.parent(request.stdoutPath))
        state.withLock { state in
            var element = SlurmElement(purpose: request.purpose, timeLimit: request.timeLimit)
            element.arrayJobID = arrayJobID
            element.index = index
            element.phase = .queued
            element.reason = "None"
            state.elements[handle] = element
            state.byID[id] = handle
        }
        return true
    }

    package func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                // Launches collected but not yet submitted go now: their tasks wait ASSIGNED in
                // the store, and a restarted scheduler adopts them by the ids reported here.
                self.flushLaunches()
                self.flushSignals()
                self.state.withLock { $0.closed = true }
                continuation.resume()
            }
        }
    }

    // MARK: Helpers

    /// `12345_7` → ("12345", 7).
    static func split(_ id: String) -> (String, Int)? {
        let parts = id.split(separator: "_")
        guard parts.count == 2, Int(parts[0]) != nil, let index = Int(parts[1]) else { return nil }
        return (String(parts[0]), index)
    }

    /// Why a request cannot go to Slurm as it is, or nil.
    private static func unusable(_ request: LaunchRequest) -> String? {
        if let bad = request.argv.first(where: { $0.utf8.contains(0) }) {
            return "cannot run '\(request.argv.first ?? "")': argument \(request.argv.firstIndex(of: bad) ?? 0) contains a NUL byte"
        }
        for (name, value) in request.environment {
            let valid = !name.isEmpty && name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x41...0x5a).contains($0) || (0x61...0x7a).contains($0) }
                && !(0x30...0x39).contains(name.utf8.first!)
            if !valid || value.utf8.contains(0) {
                return "invalid environment variable '\(name)' for Slurm: a name must be letters, digits and '_', a value must not hold NUL"
            }
        }
        return nil
    }

    static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        .nanoseconds(Int(clamping: Moment.nanoseconds(max(duration, .milliseconds(1)))))
    }

    /// A wall-clock time Slurm reported, on the scheduler clock's scale; never later than `now`.
    func moment(wall seconds: Double, now: Moment) -> Moment {
        let offset = seconds - now.wall.timeIntervalSince1970
        guard offset < 0 else { return now }
        return Moment(monotonic: now.monotonic &+ Int64(offset * 1e9), wall: Date(timeIntervalSince1970: seconds))
    }
}

/// What the cluster allows, read once at start with `scontrol show config`.
struct SlurmLimits: Sendable {
    var maxArraySize: Int
    var maxJobCount: Int
    var minJobAge: Int

    /// Elements one sbatch may carry.
    var arrayLimit: Int { max(1, min(maxArraySize, maxJobCount)) }

    static func read(_ command: SlurmCommand, settings: SlurmSettings) throws -> SlurmLimits {
        let where_ = command.environment["SLURM_CONF"].map { " (SLURM_CONF=\($0))" } ?? " (SLURM_CONF not set)"
        let config = command.run("scontrol", ["show", "config"], timeout: settings.commandTimeout)
        guard config.succeeded else {
            throw SlurmSetupError("Slurm does not answer\(where_): \(config.problem)")
        }
        var values: [String: Int] = [:]
        for line in config.text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, ["MaxArraySize", "MaxJobCount", "MinJobAge"].contains(parts[0]) else { continue }
            values[parts[0]] = Int(parts[1].split(separator: " ").first ?? "")
        }
        if let partition = settings.partition {
            let answer = command.run("scontrol", ["-o", "show", "partition", partition], timeout: settings.commandTimeout)
            guard answer.succeeded, answer.text.contains("PartitionName=\(partition)") else {
                throw SlurmSetupError("Slurm has no partition '\(partition)'\(where_): \(answer.problem)")
            }
        }
        let queue = command.run("squeue", ["--me", "-h", "-o", "%i"], timeout: settings.commandTimeout)
        guard queue.succeeded else { throw SlurmSetupError("squeue fails\(where_): \(queue.problem)") }
        return SlurmLimits(maxArraySize: values["MaxArraySize"] ?? 1001, maxJobCount: values["MaxJobCount"] ?? 10000, minJobAge: values["MinJobAge"] ?? 300)
    }
}

/// One run as the backend follows it.
struct SlurmElement: Sendable {
    enum Phase: Sendable { case collecting, submitting, queued, running }

    var purpose: RunPurpose
    var timeLimit: Duration?
    var phase = Phase.collecting
    var arrayJobID: String?
    var index = 0
    /// The submission whose folder holds its script.
    var submission: Int?
    /// The last pending reason reported (Slurm's word).
    var reason: String?
    /// When it started (on the scheduler's clock), once reported.
    var startedAt: Moment?
    /// Asked to end before it was submitted or while it waited: withdrawn, not signalled.
    var withdrawRequested = false
    /// When taskmon last signalled it: an end after this is taskmon's doing.
    var signaledAt: Moment?
    /// Polls in a row that did not list it.
    var missedPolls = 0

    var backendID: String? { arrayJobID.map { "\($0)_\(index)" } }
}

struct SlurmSubmission: Sendable {
    var folder: String
    var live: Int
}

struct SlurmBackendState: Sendable {
    var elements: [RunHandle: SlurmElement] = [:]
    /// By Slurm id (`12345_7`).
    var byID: [String: RunHandle] = [:]
    var collecting: [(RunHandle, LaunchRequest)] = []
    var flushScheduled = false
    var signals: [(RunHandle, Int32)] = []
    var signalFlushScheduled = false
    var submissions: [Int: SlurmSubmission] = [:]
    var nextSubmission = 0
    var problem: String?
    var closed = false
    var earlyPollScheduled = false
    var lastPollEnded: ContinuousClock.Instant?
}
