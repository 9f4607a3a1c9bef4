import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

/// Timeouts and kill grace through a real scheduler and real processes, with time as an input:
/// the test moves a ``ManualClock``, so a 100-second timeout takes no 100 seconds and no
/// margin of a sleep decides the outcome.
@Suite("Time as an input: timeouts and grace through a real scheduler on a manual clock")
struct ClockDrivenTests {
    /// Waits (in real time, bounded) until the scheduler's ticker sleeps on the clock.
    func untilTickerSleeps(_ clock: ManualClock) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while clock.sleeperCount == 0 && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(clock.sleeperCount > 0, "the scheduler's ticker never slept on the clock")
    }

    @Test("a task is killed when the clock passes its deadline, not before, and ends TIMED_OUT")
    func timeoutOnTheClock() async throws {
        let clock = ManualClock()
        try await withScheduler(clock: clock) { scheduler in
            let job = try await scheduler.submit(["exec sleep 600"]) { $0.taskTimeout = 100 }
            try await scheduler.waitForTask(job, 0, .running)
            try await untilTickerSleeps(clock)
            clock.advance(by: .seconds(99))
            try await untilTickerSleeps(clock)
            #expect(try await scheduler.client.task(job, 0).status == .running)
            clock.advance(by: .seconds(1))
            let task = try await scheduler.waitForTask(job, 0, .timedOut)
            #expect(task.exception?.message == "ran longer than the job's task timeout of 100s; killed")
            #expect(task.signal == SIGKILL)
        }
    }

    @Test("a task that ignores SIGTERM gets SIGKILL when the clock passes the cancel grace, then CANCELED")
    func cancelGraceOnTheClock() async throws {
        let clock = ManualClock()
        try await withScheduler(grace: .seconds(60), clock: clock) { scheduler in
            let ready = scheduler.gate("ready")
            let job = try await scheduler.submit(["trap '' TERM; touch \(ready.path); while :; do sleep 0.05; done"])
            try await scheduler.waitForTask(job, 0, .running)
            let deadline = Date().addingTimeInterval(30)
            while !FileManager.default.fileExists(atPath: ready.path) && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
            _ = try await scheduler.client.cancel(job, message: "stop")
            try await scheduler.waitForTask(job, 0, .canceling)
            try await untilTickerSleeps(clock)
            clock.advance(by: .seconds(59))
            try await untilTickerSleeps(clock)
            #expect(try await scheduler.client.task(job, 0).status == .canceling, "SIGTERM is ignored; the grace is not over")
            clock.advance(by: .seconds(1))
            let task = try await scheduler.waitForTask(job, 0, .canceled)
            #expect(task.signal == SIGKILL)
            #expect(task.cancellationMessage == "Canceled by \(NSUserName()): stop")
        }
    }

    @Test("the wrong TIMED_OUT: an exit before the deadline whose report comes after it is COMPLETED")
    func lateReportIsNotATimeout() async throws {
        // A background child holds stdout, so the exit is reported only after the output grace
        // (2 s), a second after the deadline; the process itself ended at once.
        try await withScheduler(outputGrace: .seconds(2)) { scheduler in
            let job = try await scheduler.submit(["(sleep 5 &); exit 0"]) { $0.taskTimeout = 1 }
            let info = try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(info.count(.completed) == 1, "\(task.status.name): \(task.exception?.message ?? "")")
            #expect(task.exitCode == 0)
        }
    }
}
