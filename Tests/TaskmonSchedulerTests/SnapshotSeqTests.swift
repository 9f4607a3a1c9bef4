import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Snapshots name the last event they reflect")
struct SnapshotSeqTests {
    /// A monitor takes a snapshot while tasks change, then applies only the events after its
    /// `last_seq`. Counting each later event's move exactly once must end at the true counts.
    @Test("job list + events after its last_seq add up exactly, taken while tasks run")
    func snapshotsTakenMidFlightAddUp() async throws {
        try await withScheduler(slots: 4) { scheduler in
            let job = try await scheduler.submit(Array(repeating: "true", count: 300))
            // Snapshot while the job runs.
            try await Task.sleep(for: .milliseconds(30))
            let list = try await scheduler.client.jobList()
            let lastSeq = try #require(list.lastSeq)
            let subscription = try await scheduler.client.subscribe(afterSeq: lastSeq)
            defer { subscription.cancel() }
            let snapshot = try #require(list.jobs.first { $0.id == job })
            var counts = snapshot.statusCounts
            var done = snapshot.isDone
            let deadline = Date().addingTimeInterval(30)
            while !done && Date() < deadline {
                guard case .event(let event)? = try await nextMessage(subscription, within: 1) else { continue }
                // Live events may begin at or before last_seq while commits catch up: skip those.
                guard event.seq > lastSeq else { continue }
                switch event.body {
                case .taskStatusChanged(let change) where change.jobID == job:
                    counts[change.previous.name, default: 0] -= 1
                    counts[change.status.name, default: 0] += 1
                case .jobCompleted(let info) where info.id == job:
                    done = true
                    #expect(counts.filter { $0.value != 0 } == info.statusCounts, "counted from events before job_completed")
                default:
                    break
                }
            }
            #expect(done)
            #expect(counts.filter { $0.value != 0 } == ["COMPLETED": 300])
        }
    }

    @Test("get_job and status carry last_seq too")
    func everySnapshotCarriesIt() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["true"])
            try await scheduler.waitForJob(job)
            let info = try await scheduler.client.tasks(of: job, offset: 0, limit: 10)
            let status = try await scheduler.client.status()
            // submitted, assigned, running, completed, job completed: 5 events.
            #expect(info.lastSeq == 5)
            #expect(status.lastSeq == 5)
        }
    }
}

@Suite("Task lists as rows")
struct TaskRowsTests {
    @Test("rows_only pages carry what whole tasks say, as rows, page by page")
    func rowsMatchWholeTasks() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["exit 3", "true", channel(#"{"progress": {"percent": 40, "info": "half"}}"#)])
            try await scheduler.waitForJob(job)
            let whole = try await scheduler.client.tasks(of: job, offset: 1, limit: 2)
            let rows = try await offPool { try scheduler.client.taskRows(of: job, offset: 1, limit: 2) }
            #expect(rows.tasks == nil)
            let received = try #require(rows.taskRows)
            #expect(received.map(\.id) == [1, 2])
            for (row, task) in zip(received, whole.tasks ?? []) {
                var expected = TaskRowInfo(task)
                // Rows carry times as seconds since 1970; whole tasks as ISO 8601 to the millisecond.
                #expect(abs((row.startedAt ?? .distantPast).timeIntervalSince(expected.startedAt ?? .distantPast)) < 0.001)
                expected.startedAt = row.startedAt
                expected.finishedAt = row.finishedAt
                #expect(row == expected)
            }
            #expect(received[1].progress == TaskProgress(percent: 40, info: "half"))
            #expect(rows.lastSeq != nil)
        }
    }
}
