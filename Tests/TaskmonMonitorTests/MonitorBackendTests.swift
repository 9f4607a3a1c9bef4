import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// What the monitor shows of the backend that runs the tasks (issue 11) and of a task's host
/// and its job's environment (issue 10): the header, the lists, the Info tab, the job detail.
@MainActor
@Suite struct MonitorBackendTests {
    func status(backend: String?, problem: String?, storage: String? = nil) -> SchedulerStatus {
        var status = SchedulerStatus(pid: 42, stateDirectory: "/tmp/x", slots: 4, busySlots: 0, queued: 0, jobs: 1,
                                     statusCounts: [:], lastSeq: 1, storageError: storage)
        status.backend = backend
        status.backendProblem = problem
        return status
    }

    @Test func theHeaderNamesAClusterBackendAndSaysWhatAilsIt() {
        let harness = ScreenHarness(width: 80, height: 24)
        harness.receive(.snapshot(Fixture.job(1, tasks: 2)))
        harness.receive(.status(status(backend: "local", problem: nil)))
        #expect(!harness.frame()[0].contains("local"), "the usual backend goes without saying")
        harness.receive(.status(status(backend: "slurm", problem: nil)))
        let named = harness.frame()[0]
        #expect(named.contains(" slurm ") && !named.contains("slurm:"))
        harness.receive(.status(status(backend: "slurm", problem: "slurmctld is not responding; retrying")))
        let header = harness.frame()[0]
        #expect(header.contains("slurm: slurmctld is not responding"))
        #expect(harness.canvas.style(atX: header.range(of: "slurmctld")!.lowerBound.utf16Offset(in: header), y: 0)
            .attributes.contains(.bold))
        harness.receive(.status(status(backend: "slurm", problem: "Slurm does not answer: slurm_load_jobs error: Unable to contact slurm controller")))
        #expect(harness.frame()[0].hasSuffix("~"), "cut with an ellipsis (ASCII here)")
        harness.receive(.status(status(backend: "local", problem: nil, storage: "no space left on device")))
        #expect(harness.frame()[0].contains("database: no space left on device"))
    }

    @Test func aWaitingTaskShowsWhyItWaitsUntilItRuns() throws {
        let harness = ScreenHarness()
        var page = Fixture.page(1, statuses: [.assigned, .submitted], seq: 1)
        page.tasks![0].message = "waiting for free resources (Resources)"
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        let row = try #require(harness.row(containing: " t0 "))
        #expect(harness.frame()[row].contains("waiting f"))
        harness.receive(.events([Fixture.change(2, job: 1, task: 0, .assigned, .running)]))
        #expect(!harness.screen.contains("waiting f"))
    }

    @Test func theInfoTabNamesTheHostAndShowsTheEnvironmentOutput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("taskmon-info-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let directory = StateDirectory(path: folder)
        try FileManager.default.createDirectory(atPath: directory.jobOutputPath(1), withIntermediateDirectories: true)
        try "warming the cache\nsetup done\n".write(toFile: directory.jobOutputPath(1) + "/setup.stdout", atomically: true, encoding: .utf8)
        let harness = ScreenHarness(width: 120, height: 40)
        harness.controller.stateDirectory = directory
        let page = Fixture.page(1, statuses: [.completed], seq: 1)
        var job = page
        job.tasks = nil
        harness.receive(.snapshot(job))
        harness.press(.enter)
        harness.receive(.tasksLoaded(1, [page]))
        harness.press(.enter)
        var task = page.tasks![0]
        task.host = "slurm job 4242_0 on node-a"
        harness.receive(.taskLoaded(task))
        harness.press(.character("7"))
        let screen = harness.screen
        #expect(screen.contains("Host          slurm job 4242_0 on node-a"))
        #expect(screen.contains("Environment setup:") && screen.contains("setup done"))
    }

    @Test func jobDetailAsksForItsJobAndShowsBackendSetupAndTeardown() {
        let harness = ScreenHarness(width: 100, height: 30)
        var job = Fixture.job(1, tasks: 1, counts: [.completed: 1], name: "nightly")
        job.backend = "slurm"
        job.setup = EnvironmentStepInfo(state: .succeeded, exitCode: 0)
        job.teardown = EnvironmentStepInfo(state: .running)
        job.finishedAt = Fixture.epoch.addingTimeInterval(20)
        harness.receive(.snapshot(job))
        harness.press(.character("i"))
        #expect(harness.sent.contains(.loadJob(1)))
        var screen = harness.screen
        #expect(screen.contains("Backend               slurm"))
        #expect(screen.contains("Environment setup     succeeded (exit 0)"))
        #expect(screen.contains("Environment teardown  running"))
        // The teardown ends after the job's last event: the detail's own fetch brings it.
        var later = job
        later.teardown = EnvironmentStepInfo(state: .failed, exitCode: 3)
        later.warnings = ["teardown exited with status 3"]
        harness.receive(.jobLoaded(later))
        screen = harness.screen
        #expect(screen.contains("Environment teardown  failed (exit 3)"))
        #expect(screen.contains("done with warnings"))
        // Asked again only after a while.
        let asked = harness.sent.filter { $0 == .loadJob(1) }.count
        _ = harness.controller.tick(now: harness.now.addingTimeInterval(0.5))
        #expect(harness.sent.filter { $0 == .loadJob(1) }.count == asked)
        _ = harness.controller.tick(now: harness.now.addingTimeInterval(5))
        #expect(harness.sent.filter { $0 == .loadJob(1) }.count == asked + 1)
    }
}
