import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// Builders for the scheduler's messages, as the link would deliver them.
enum Fixture {
    static let hello = HelloResult(version: Wire.protocolVersion, schedulerPID: 42, stateDirectory: "/tmp/x", slots: 4)
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func job(_ id: JobID, tasks: Int, counts: [TaskStatus: Int]? = nil, name: String? = nil) -> JobInfo {
        let named = (counts ?? [.submitted: tasks]).reduce(into: [String: Int]()) { $0[$1.key.name] = $1.value }
        return JobInfo(id: id, name: name ?? "job-\(id)", maxInterruptedRetries: 3, cancelOnTaskFailure: false,
                       submittedAt: epoch, taskCount: tasks, statusCounts: named)
    }

    static func page(_ id: JobID, statuses: [TaskStatus], seq: UInt64, offset: Int = 0) -> JobInfo {
        var counts: [TaskStatus: Int] = [:]
        for status in statuses { counts[status, default: 0] += 1 }
        var info = job(id, tasks: statuses.count, counts: counts)
        info.tasks = statuses.enumerated().map { TaskInfo(jobID: id, id: offset + $0.offset, name: "t\(offset + $0.offset)", status: $0.element) }
        info.lastSeq = seq
        return info
    }

    static func change(_ seq: UInt64, job: JobID, task: TaskIndex, _ previous: TaskStatus, _ status: TaskStatus,
                       attempts: Int = 1, at seconds: TimeInterval = 0) -> SchedulerEvent {
        SchedulerEvent(seq: seq, time: epoch.addingTimeInterval(seconds), body: .taskStatusChanged(
            TaskStatusChange(jobID: job, taskID: task, name: "t\(task)", previous: previous, status: status,
                             pid: status == .running ? 1000 + Int32(task) : nil, attempts: attempts)))
    }
}

@Suite struct MonitorModelTests {
    @Test func snapshotThenEventsKeepCountsExact() {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 3)], lastSeq: 10))
        #expect(model.connection == .connected)
        #expect(model.totals[TaskStatus.submitted.rawValue] == 3)
        model.apply(Fixture.change(11, job: 1, task: 0, .submitted, .assigned))
        model.apply(Fixture.change(12, job: 1, task: 0, .assigned, .running))
        #expect(model.jobs[1]?.counts[TaskStatus.running.rawValue] == 1)
        #expect(model.queued == 2)
        #expect(model.busySlots == 1)
    }

    @Test func eventsTheSnapshotAlreadyReflectsAreNotCountedTwice() {
        var model = MonitorModel()
        // The list at seq 12 already shows task 0 running.
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 2, counts: [.running: 1, .submitted: 1])], lastSeq: 12))
        model.apply(Fixture.change(11, job: 1, task: 0, .submitted, .assigned))
        model.apply(Fixture.change(12, job: 1, task: 0, .assigned, .running))
        #expect(model.jobs[1]?.counts[TaskStatus.running.rawValue] == 1)
        #expect(model.jobs[1]?.counts[TaskStatus.submitted.rawValue] == 1)
        #expect(model.jobs[1]?.counts[TaskStatus.assigned.rawValue] == 0)
    }

    @Test func taskRowsFollowEventsAndIgnoreOlderNews() throws {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 2)], lastSeq: 5))
        model.taskLoadStarted(1)
        #expect(model.isLoadingTasks(1))
        // An event arrives while the page is on its way, newer than the page.
        model.apply(Fixture.change(7, job: 1, task: 1, .submitted, .running, at: 3))
        model.installTasks(1, pages: [Fixture.page(1, statuses: [.running, .submitted], seq: 6)])
        #expect(!model.isLoadingTasks(1))
        let tasks = try #require(model.jobs[1]?.tasks)
        #expect(tasks[0].status == .running)
        #expect(tasks[1].status == .running, "the held event (seq 7) applies on top of the page (seq 6)")
        #expect(tasks[1].startedAt == Fixture.epoch.addingTimeInterval(3))
        // A duplicate or older event changes nothing.
        model.apply(Fixture.change(6, job: 1, task: 0, .running, .failed))
        #expect(model.jobs[1]?.tasks?[0].status == .running)
    }

    @Test func pagesAssembleLargeJobsAndReplaceCounts() throws {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 4)], lastSeq: 1))
        var first = Fixture.page(1, statuses: [.completed, .completed], seq: 9)
        first.taskCount = 4
        first.statusCounts = ["COMPLETED": 3, "FAILED": 1]
        let second = Fixture.page(1, statuses: [.completed, .failed], seq: 9, offset: 2)
        model.installTasks(1, pages: [first, second])
        let tasks = try #require(model.jobs[1]?.tasks)
        #expect(tasks.map(\.id) == [0, 1, 2, 3])
        #expect(tasks[3].status == .failed)
        #expect(model.jobs[1]?.counts[TaskStatus.completed.rawValue] == 3)
        #expect(model.totals[TaskStatus.submitted.rawValue] == 0)
        #expect(model.jobs[1]?.doneCount == 4)
    }

    @Test func newJobsAndCompletionsArriveAsEvents() {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [], lastSeq: 0))
        model.apply(SchedulerEvent(seq: 1, time: Fixture.epoch, body: .jobSubmitted(Fixture.job(7, tasks: 2))))
        #expect(model.jobOrder == [7])
        #expect(model.queued == 2)
        var done = Fixture.job(7, tasks: 2, counts: [.completed: 2])
        done.finishedAt = Fixture.epoch.addingTimeInterval(5)
        model.apply(SchedulerEvent(seq: 5, time: Fixture.epoch, body: .jobCompleted(done)))
        #expect(model.queued == 0)
        #expect(model.jobs[7]?.summaryStatus == .completed)
        #expect(model.jobs[7]?.duration(now: .distantFuture) == 5)
    }

    @Test func aReconnectReplacesEverythingAndKeepsTheLastStateMeanwhile() {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 1)], lastSeq: 3))
        model.disconnected(reason: "scheduler not running")
        #expect(model.connection == .reconnecting(reason: "scheduler not running"))
        #expect(model.jobs[1] != nil, "the last known state stays on screen")
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(2, tasks: 5)], lastSeq: 20))
        #expect(model.jobOrder == [2])
        #expect(model.totals[TaskStatus.submitted.rawValue] == 5)
    }

    @Test func retriesStartANewAttemptFromNothing() throws {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 1)], lastSeq: 0))
        model.installTasks(1, pages: [Fixture.page(1, statuses: [.submitted], seq: 0)])
        model.apply(Fixture.change(1, job: 1, task: 0, .submitted, .assigned))
        model.apply(Fixture.change(2, job: 1, task: 0, .assigned, .running, at: 1))
        model.apply(Fixture.change(3, job: 1, task: 0, .running, .interrupted, at: 2))
        #expect(model.jobs[1]?.tasks?[0].finishedAt != nil)
        model.apply(Fixture.change(4, job: 1, task: 0, .interrupted, .submitted))
        let row = try #require(model.jobs[1]?.tasks?[0])
        #expect(row.status == .submitted)
        #expect(row.startedAt == nil && row.finishedAt == nil && row.pid == nil)
        #expect(model.changedTasks.contains(TaskRef(jobID: 1, taskID: 0)))
    }

    /// A status change updates the task row in place. Before the fix, every event copied
    /// the job's whole task array (a local copy of the job record kept it shared), which made
    /// a 100,000-task job ingest a few hundred events a second.
    @Test func statusChangesUpdateRowsInPlace() throws {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 3)], lastSeq: 0))
        model.installTasks(1, pages: [Fixture.page(1, statuses: [.submitted, .submitted, .submitted], seq: 0)])
        func storage() -> UnsafeRawPointer? {
            model.jobs[1]?.tasks?.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        }
        let before = try #require(storage())
        model.apply(Fixture.change(1, job: 1, task: 2, .submitted, .assigned))
        model.apply(SchedulerEvent(seq: 2, time: Fixture.epoch, body: .taskProgress(
            TaskProgressUpdate(jobID: 1, taskID: 2, progress: TaskProgress(percent: 5)))))
        #expect(model.jobs[1]?.tasks?[2].status == .assigned)
        #expect(storage() == before, "the task array was copied")
    }

    /// A big job shows its first page while the rest load; events that came meanwhile apply
    /// once every row is there.
    @Test func pagesShowAsTheyComeAndHeldEventsWaitForTheLast() throws {
        var model = MonitorModel()
        model.connected(hello: Fixture.hello, jobs: JobList(jobs: [Fixture.job(1, tasks: 4)], lastSeq: 0))
        model.taskLoadStarted(1)
        var first = Fixture.page(1, statuses: [.submitted, .submitted], seq: 1)
        first.taskCount = 4
        model.installTasks(1, pages: [first], complete: false)
        #expect(model.jobs[1]?.tasks?.count == 2, "the first rows show at once")
        #expect(model.isLoadingTasks(1))
        // Task 3's page has not come: its event waits.
        model.apply(Fixture.change(5, job: 1, task: 3, .submitted, .running))
        let second = Fixture.page(1, statuses: [.submitted, .submitted], seq: 2, offset: 2)
        model.installTasks(1, pages: [second], complete: true)
        let tasks = try #require(model.jobs[1]?.tasks)
        #expect(tasks.count == 4)
        #expect(tasks[3].status == .running)
        #expect(!model.isLoadingTasks(1))
    }
}
