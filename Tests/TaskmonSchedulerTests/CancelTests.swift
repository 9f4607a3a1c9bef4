import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Cancel and retry")
struct CancelTests {
    @Test("a running task goes through CANCELING to CANCELED, reason DIRECT, message naming the user")
    func cancelRunning() async throws {
        try await withScheduler(grace: .seconds(5)) { scheduler in
            let job = try await scheduler.submit(["trap 'echo got TERM; exit 0' TERM; sleep 30 & wait"])
            try await scheduler.waitForTask(job, 0, .running)
            let events = try await scheduler.client.subscribe(afterSeq: nil)
            defer { events.cancel() }
            let result = try await scheduler.client.cancel(job, task: 0, message: "wrong input set")
            #expect(result.canceled == 1)
            let task = try await scheduler.waitForTask(job, 0, .canceled)
            let user = String(cString: getpwuid(geteuid())!.pointee.pw_name)
            #expect(task.cancellationReason == .direct)
            #expect(task.cancellationMessage == "Canceled by \(user): wrong input set")
            #expect(task.standardOutput?.contains("got TERM") == true)
            // The stream showed the way through CANCELING.
            var seen: [TaskStatus] = []
            while let message = try await nextMessage(events, within: 5), seen.last != .canceled {
                if case .event(let event) = message, case .taskStatusChanged(let change) = event.body { seen.append(change.status) }
            }
            #expect(seen == [.canceling, .canceled])
        }
    }

    @Test("a task that ignores SIGTERM is killed after the grace period")
    func cancelStubborn() async throws {
        try await withScheduler(grace: .milliseconds(300)) { scheduler in
            let job = try await scheduler.submit(["trap '' TERM; sleep 30"])
            try await scheduler.waitForTask(job, 0, .running)
            try await scheduler.client.cancel(job, task: 0)
            let task = try await scheduler.waitForTask(job, 0, .canceled)
            #expect(task.signal == SIGKILL)
            #expect(task.cancellationMessage?.hasPrefix("Canceled by ") == true)
        }
    }

    @Test("cancelling a job cancels queued tasks at once and running ones through CANCELING")
    func cancelJob() async throws {
        try await withScheduler(slots: 1, grace: .milliseconds(500)) { scheduler in
            let job = try await scheduler.submit(["sleep 30", "sleep 30", "sleep 30"])
            try await scheduler.waitForTask(job, 0, .running)
            let result = try await scheduler.client.cancel(job, message: "stop all")
            #expect(result.canceled == 3)
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.canceled) == 3)
            for index in 0..<3 {
                let task = try await scheduler.client.task(job, index)
                #expect(task.cancellationReason == .direct)
                #expect(task.cancellationMessage?.hasSuffix(": stop all") == true)
            }
            #expect(try await scheduler.client.task(job, 2).attempts == 0)
        }
    }

    @Test("cancel_on_task_failure: the others are CANCELED with reason CONSEQUENTIAL naming the failed task")
    func consequential() async throws {
        try await withScheduler(slots: 2, grace: .milliseconds(500)) { scheduler in
            let job = try await scheduler.submit(["sleep 0.3; exit 1", "sleep 30", "sleep 30"]) {
                $0.cancelOnTaskFailure = true
                $0.tasks[0].name = "frame-007"
            }
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.failed) == 1)
            #expect(info.count(.canceled) == 2)
            for index in 1...2 {
                let task = try await scheduler.client.task(job, index)
                #expect(task.status == .canceled)
                #expect(task.cancellationReason == .consequential)
                #expect(task.cancellationMessage == "Canceled because task 0 (frame-007) failed")
            }
        }
    }

    @Test("retry queues a finished task again as a new attempt")
    func retry() async throws {
        try await withScheduler { scheduler in
            let marker = scheduler.directory.path + "/second-time"
            let job = try await scheduler.submit(["if [ -e \(marker) ]; then echo fine; else touch \(marker); exit 2; fi"])
            try await scheduler.waitForJob(job)
            #expect(try await scheduler.client.task(job, 0).status == .failed)
            try await scheduler.client.retry(job, 0)
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.completed) == 1)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.attempts == 2)
            #expect(task.exception == nil)
            #expect(task.exitCode == 0)
            #expect(task.standardOutput == "fine\n")
        }
    }

    @Test("retry_tasks queues a job's failed tasks and named tasks in one request, counting what it left")
    func retryTasks() async throws {
        try await withScheduler(slots: 2) { scheduler in
            let marker = scheduler.directory.path + "/again"
            let job = try await scheduler.submit([
                "test -e \(marker) || exit 3", "true", "test -e \(marker) || exit 4", "sleep 30",
            ]) { $0.tasks[3].name = "runner" }
            try await scheduler.waitForTask(job, 3, .running)
            try await scheduler.waitForTask(job, 0, .failed)
            try await scheduler.waitForTask(job, 2, .failed)
            try await scheduler.waitForTask(job, 1, .completed)
            #expect(FileManager.default.createFile(atPath: marker, contents: nil))
            // Only the failures: the completed task and the running one are not "failed".
            let first = try await scheduler.client.retryTasks([], failedOfJobs: [job])
            #expect(first == RetryTasksResult(retried: 2, unchanged: 0, retriedJobs: [job]))
            for index in [0, 2] {
                let task = try await scheduler.waitForTask(job, index, .completed)
                #expect(task.attempts == 2)
            }
            // Named tasks: a finished one goes again; a running one and one that is not there are counted.
            let second = try await scheduler.client.retryTasks(
                [TaskRef(jobID: job, taskID: 1), TaskRef(jobID: job, taskID: 3), TaskRef(jobID: job, taskID: 9)], failedOfJobs: [99])
            #expect(second.retried == 1)
            #expect(second.retriedJobs == [job], "the job with the task that went again; not the one that is not there")
            #expect(second.unchanged == 3)
            #expect(second.firstProblem?.contains("only a finished task can be retried") == true)
            #expect(try await scheduler.waitForTask(job, 1, .completed).attempts == 2)
            // Out of range: refused whole, nothing retried.
            do {
                _ = try await scheduler.client.retryTasks([TaskRef(jobID: job, taskID: 0), TaskRef(jobID: job, taskID: -1)])
                Issue.record("a negative task id should be refused")
            } catch {
                #expect("\(error)".contains("tasks[1]: task_id must not be negative"))
            }
            #expect(try await scheduler.client.task(job, 0).attempts == 2)
            try await scheduler.client.cancel(job)
        }
    }

    @Test("bad cancel and retry requests get clear errors")
    func badRequests() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["sleep 30"])
            try await scheduler.waitForTask(job, 0, .running)
            await #expect(throws: SchedulerClientError.self) { try await scheduler.client.cancel(99) }
            await #expect(throws: SchedulerClientError.self) { try await scheduler.client.cancel(job, task: 5) }
            do {
                try await scheduler.client.retry(job, 0)
                Issue.record("retrying a running task should fail")
            } catch {
                #expect("\(error)".contains("only a finished task can be retried"))
            }
            try await scheduler.client.cancel(job)
        }
    }
}
