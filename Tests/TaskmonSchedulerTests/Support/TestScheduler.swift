import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

/// A real scheduler on a fresh temp state dir, and a real client connected to it.
final class TestScheduler: Sendable {
    let directory: StateDirectory
    let server: SchedulerServer
    let client: SchedulerClient

    private init(directory: StateDirectory, server: SchedulerServer, client: SchedulerClient) {
        self.directory = directory
        self.server = server
        self.client = client
    }

    /// Unix socket paths are short (107 bytes): the state dir lives directly under /tmp.
    static func makeDirectory() -> StateDirectory {
        let template = "/tmp/tm-XXXXXX"
        var bytes = Array(template.utf8CString)
        let path = bytes.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        return StateDirectory(path: path)
    }

    static func start(
        slots: Int = 2, grace: Duration = .seconds(5), directory: StateDirectory? = nil,
        clock: (any SchedulerClock)? = nil, outputGrace: Duration? = nil
    ) async throws -> TestScheduler {
        let directory = directory ?? makeDirectory()
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        var configuration = SchedulerConfiguration(
            stateDirectory: directory, slots: slots, cancelGracePeriod: grace, tickInterval: .milliseconds(50),
            baseEnvironment: environment)
        if let clock { configuration.clock = clock }
        if let outputGrace { configuration.outputGrace = outputGrace }
        let server = try await SchedulerServer.start(configuration)
        let client = try await SchedulerClient.connect(directory, clientName: "tests")
        return TestScheduler(directory: directory, server: server, client: client)
    }

    func stop() async {
        client.close()
        await server.stop()
    }

    /// Stops the scheduler and removes its state dir.
    func finish() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory.path)
    }

    /// Submits one job of shell tasks.
    func submit(_ scripts: [String], configure: (inout JobSpec) -> Void = { _ in }) async throws -> JobID {
        var spec = JobSpec(name: "test", tasks: scripts.enumerated().map { index, script in
            TaskSpec(name: "t\(index)", command: ["sh", "-c", script])
        })
        configure(&spec)
        return try await client.submit(spec).jobID
    }

    /// Waits until the job is done (bounded by a generous deadline, not a timing assertion).
    @discardableResult
    func waitForJob(_ id: JobID, timeout: TimeInterval = 30) async throws -> JobInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let job = try await client.job(id, includeTasks: true)
            if job.isDone { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
        let job = try await client.job(id, includeTasks: true)
        Issue.record("job \(id) not done after \(timeout)s: \(job.statusCounts)")
        return job
    }

    /// Waits until a task reaches `status`.
    @discardableResult
    func waitForTask(_ job: JobID, _ task: TaskIndex, _ status: TaskStatus, timeout: TimeInterval = 30) async throws -> TaskInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let info = try await client.task(job, task)
            if info.status == status { return info }
            try await Task.sleep(for: .milliseconds(20))
        }
        let info = try await client.task(job, task)
        Issue.record("task \(job)/\(task) is \(info.status.name), not \(status.name), after \(timeout)s")
        return info
    }
}

/// Shell that writes a channel record, for tasks in tests.
func channel(_ json: String) -> String {
    "printf '%s\\n' '\(json)' >> \"$TASKMON_CHANNEL\""
}

/// Runs `body` against a fresh scheduler and always stops it and removes its state dir.
func withScheduler(
    slots: Int = 2, grace: Duration = .seconds(5), clock: (any SchedulerClock)? = nil, outputGrace: Duration? = nil,
    _ body: (TestScheduler) async throws -> Void
) async throws {
    let scheduler = try await TestScheduler.start(slots: slots, grace: grace, clock: clock, outputGrace: outputGrace)
    do {
        try await body(scheduler)
    } catch {
        await scheduler.finish()
        throw error
    }
    await scheduler.finish()
}

/// The next message, or nil when none came within `seconds` (or the stream ended).
func nextMessage(_ subscription: EventSubscription, within seconds: Double) async throws -> SubscriptionMessage? {
    do {
        return try await subscription.next(timeout: .seconds(seconds))
    } catch SchedulerClientError.timedOut {
        return nil
    }
}

/// The first `count` tasks of a job, as clients see them.
func tasks(_ scheduler: TestScheduler, _ job: JobID, _ count: Int) async throws -> [TaskInfo] {
    var tasks: [TaskInfo] = []
    for index in 0..<count { tasks.append(try await scheduler.client.task(job, index)) }
    return tasks
}

/// A file a task's shell waits for, so that a test decides when the task may go on.
struct Gate {
    let path: String

    /// Shell that returns once the gate is open.
    var waitScript: String { "while [ ! -e \(path) ]; do sleep 0.02; done" }

    func open() {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
    }
}

extension TestScheduler {
    func gate(_ name: String = "release") -> Gate { Gate(path: directory.path + "/" + name) }
}
