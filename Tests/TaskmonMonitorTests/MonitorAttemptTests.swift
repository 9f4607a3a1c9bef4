import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// `[` and `]` in the task detail: the earlier attempts of a retried task, like `kubectl logs --previous`;
/// and what finished attempts used, in the task list.
@MainActor
@Suite struct MonitorAttemptTests {
    private func harness(_ page: JobInfo, sources: [String: MemoryOutputSource] = [:], height: Int = 20) -> ScreenHarness {
        let harness = ScreenHarness(width: 120, height: height, sources: sources)
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        return harness
    }

    private static func retried() -> (current: TaskInfo, first: TaskInfo) {
        var current = TaskInfo(jobID: 1, id: 0, name: "t0", status: .completed, attempts: 2, exitCode: 0)
        current.attemptHistory = [AttemptSummary(attempt: 1, status: .failed, exitCode: 3, exceptionType: "ExitStatus")]
        var first = current
        first.attempt = 1
        first.status = .failed
        first.exitCode = 3
        first.exception = TaskException(type: "ExitStatus", message: "exited with status 3")
        return (current, first)
    }

    @Test func bracketsSwitchBetweenTheAttemptsKept() {
        let h = harness(Fixture.page(1, statuses: [.completed], seq: 1), sources: [
            "1/0/stdout": MemoryOutputSource("attempt 2\n"), "1/0/stdout#1": MemoryOutputSource("attempt 1\n"),
        ])
        h.press(.enter)
        let (current, first) = Self.retried()
        h.receive(.taskLoaded(current))
        h.press(.character("1"))
        #expect(h.screen.contains("attempt 2 ([ earlier)"))
        #expect(h.screen.contains("attempt 2\n") || h.frame().contains { $0.contains("attempt 2") })

        h.press(.character("["))
        #expect(h.sent.last == .loadTask(1, 0, attempt: 1))
        // The earlier attempt's output shows at once, from its own source.
        #expect(h.frame().contains { $0.trimmingCharacters(in: .whitespaces) == "attempt 1" })
        #expect(h.screen.contains("attempt 1 of 2 (earlier; ] later)"))
        // A late answer about the current attempt does not replace the one asked for.
        h.receive(.taskLoaded(current))
        #expect(h.screen.contains("attempt 1 of 2"))
        h.receive(.taskLoaded(first))
        #expect(h.screen.contains("FAILED"))
        h.press(.character("5"))
        #expect(h.screen.contains("exited with status 3"))

        h.press(.character("["))
        #expect(h.screen.contains("this is the oldest attempt kept"))
        h.press(.character("]"))
        #expect(h.sent.last == .loadTask(1, 0, attempt: nil))
        h.receive(.taskLoaded(current))
        h.press(.character("1"))
        #expect(h.frame().contains { $0.trimmingCharacters(in: .whitespaces) == "attempt 2" })
        h.press(.character("]"))
        #expect(h.screen.contains("this is the current attempt"))
    }

    @Test func aTaskNeverRetriedHasNoEarlierAttempt() {
        let h = harness(Fixture.page(1, statuses: [.failed], seq: 1))
        h.press(.enter)
        h.receive(.taskLoaded(TaskInfo(jobID: 1, id: 0, name: "t0", status: .failed, attempts: 1)))
        h.press(.character("["))
        #expect(h.screen.contains("no earlier attempt kept"))
        #expect(h.sent.last == .loadTask(1, 0, attempt: nil))
    }

    @Test func theHelpListsTheAttemptKeys() {
        let h = harness(Fixture.page(1, statuses: [.failed], seq: 1), height: 60)
        h.press(.enter)
        h.press(.character("?"))
        #expect(h.screen.contains("earlier / later attempt"))
    }

    @Test func theInfoTabShowsWhatTheAttemptUsedAndTheEarlierOnes() {
        let h = harness(Fixture.page(1, statuses: [.completed], seq: 1))
        h.press(.enter)
        var (current, _) = Self.retried()
        current.peakRSS = 64 << 20
        current.cpuTime = 1.25
        h.receive(.taskLoaded(current))
        h.press(.character("7"))
        let screen = h.screen
        #expect(screen.contains("CPU time      1.25s"))
        #expect(screen.contains("Peak RSS      64 MiB"))
        #expect(screen.contains("Earlier attempts"))
        #expect(screen.contains("1  FAILED  exit 3  ExitStatus"))
    }

    @Test func finishedRowsShowTheirCPUTimeAndPeakRSS() {
        var page = Fixture.page(1, statuses: [.completed, .submitted], seq: 1)
        page.tasks![0].peakRSS = 64 << 20
        page.tasks![0].cpuTime = 7.4
        let h = harness(page)
        let row = h.frame().first { $0.contains("t0") } ?? ""
        #expect(row.contains("64 MiB"))
        #expect(row.contains("7.4s"))
        // The event that ends an attempt carries them too.
        h.receive(.events([SchedulerEvent(seq: 2, time: Fixture.epoch, body: .taskStatusChanged(TaskStatusChange(
            jobID: 1, taskID: 1, name: "t1", previous: .running, status: .failed, attempts: 1, exitCode: 1,
            peakRSS: 3 << 20, cpuTime: 0.5)))]))
        let second = h.frame().first { $0.contains("t1") } ?? ""
        #expect(second.contains("3.0 MiB"))
        #expect(second.contains("0.5s"))
    }
}
