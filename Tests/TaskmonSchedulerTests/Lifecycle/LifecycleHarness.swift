import Foundation
import TaskmonKit
@testable import TaskmonScheduler

/// A ``Lifecycle`` driven by hand: inputs with explicit moments, effects read back. No
/// processes, no clock, no disk: every decision of the reducer can be replayed exactly.
struct LifecycleHarness {
    var lifecycle: Lifecycle
    /// Launches asked for and not yet answered, in order.
    var pendingLaunches: [(RunHandle, LaunchRequest)] = []
    var signals: [(RunHandle, Int32)] = []
    var orphanKills: [(Int32, TaskKey)] = []
    var discardedAttemptOutput: [String] = []
    /// The store batches handed over, when `keepsBatches` (a test that commits them).
    var batches: [StoreBatch] = []
    var keepsBatches = false
    /// Every event handed over so far.
    var events: [EventBody] = []

    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    init(slots: Int = 2, memoryMB: Int? = nil, grace: Duration = .seconds(5), jobs: [JobState] = []) {
        var settings = Lifecycle.Settings(
            stateDirectory: StateDirectory(path: "/state"), slots: slots, cancelGracePeriod: grace,
            baseEnvironment: ["PATH": "/usr/bin:/bin"])
        settings.memoryMB = memoryMB
        lifecycle = Lifecycle(settings: settings, jobs: jobs)
    }

    /// The moment `seconds` after the harness's zero.
    static func at(_ seconds: Double) -> Moment {
        Moment(monotonic: Int64(seconds * 1e9), wall: start.addingTimeInterval(seconds))
    }

    /// Takes the reducer's effects and changes after an input.
    mutating func collect() {
        for effect in lifecycle.takeEffects() {
            switch effect {
            case .launch(let handle, let request): pendingLaunches.append((handle, request))
            case .signal(let handle, let signal): signals.append((handle, signal))
            case .killOrphan(let pid, let key): orphanKills.append((pid, key))
            case .discardAttemptOutput(let prefix): discardedAttemptOutput.append(prefix)
            }
        }
        let (batch, changes) = lifecycle.takeChanges()
        if keepsBatches { batches.append(batch) }
        events.append(contentsOf: changes)
    }

    @discardableResult
    mutating func submit(_ commands: [[String]], at seconds: Double = 0, configure: (inout JobSpec) -> Void = { _ in }) -> JobID {
        var spec = JobSpec(name: "job", tasks: commands.map { TaskSpec(command: $0) })
        configure(&spec)
        let id = lifecycle.submit(spec, at: Self.at(seconds)).jobID
        collect()
        return id
    }

    /// Answers the oldest pending launch.
    @discardableResult
    mutating func answerLaunch(_ outcome: LaunchOutcome = .started(RunDetail(pid: 4242)), at seconds: Double) -> RunHandle {
        let (handle, _) = pendingLaunches.removeFirst()
        lifecycle.launched(handle, outcome, at: Self.at(seconds))
        collect()
        return handle
    }

    /// Answers every pending launch with a start.
    @discardableResult
    mutating func startAll(at seconds: Double) -> [RunHandle] {
        var handles: [RunHandle] = []
        while !pendingLaunches.isEmpty { handles.append(answerLaunch(at: seconds)) }
        return handles
    }

    mutating func report(_ report: BackendReport, stderrTail: String = "") {
        lifecycle.apply(report, stderrTail: stderrTail)
        collect()
    }

    mutating func exit(_ handle: RunHandle, _ termination: ProcessTermination, at seconds: Double, stderrTail: String = "") {
        report(.exited(handle, termination, at: Self.at(seconds), outputComplete: true), stderrTail: stderrTail)
    }

    mutating func advance(to seconds: Double) {
        lifecycle.advance(to: Self.at(seconds))
        collect()
    }

    @discardableResult
    mutating func cancel(_ job: JobID, task: TaskIndex? = nil, message: String? = nil, at seconds: Double) throws -> Int {
        let count = try lifecycle.cancel(job: job, task: task, message: message, user: "ann", at: Self.at(seconds)).canceled
        collect()
        return count
    }

    mutating func shutdown(at seconds: Double) {
        lifecycle.beginShutdown(at: Self.at(seconds))
        collect()
    }

    func task(_ job: JobID, _ index: TaskIndex) -> TaskState {
        lifecycle.jobs[job]!.tasks[index]
    }

    func status(_ job: JobID, _ index: TaskIndex) -> TaskStatus { task(job, index).status }

    /// The statuses one task went through, from the events.
    func path(_ job: JobID, _ index: TaskIndex) -> [TaskStatus] {
        events.compactMap { event in
            guard case .taskStatusChanged(let change) = event, change.jobID == job, change.taskID == index else { return nil }
            return change.status
        }
    }

    func signalsSent(to handle: RunHandle) -> [Int32] {
        signals.filter { $0.0 == handle }.map(\.1)
    }
}
