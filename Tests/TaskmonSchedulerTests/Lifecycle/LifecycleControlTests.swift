import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Lifecycle reducer: queue, slots, setup, cancel, retry, shutdown, recovery")
struct LifecycleControlTests {
    @Test("slots limit what runs; a freed slot starts the next task; priority first, then arrival")
    func slotsAndPriority() {
        var h = LifecycleHarness(slots: 2)
        let low = h.submit([["a"], ["b"], ["c"]]) { $0.priority = .low }
        #expect(h.pendingLaunches.count == 2)
        let runs = h.startAll(at: 0)
        let high = h.submit([["h"]]) { $0.priority = .high }
        #expect(h.status(high, 0) == .submitted, "no slot free")
        h.exit(runs[0], .exited(0), at: 1)
        #expect(h.status(high, 0) == .assigned, "the higher priority goes first")
        #expect(h.status(low, 2) == .submitted)
        #expect(h.lifecycle.busySlots == 2)
    }

    @Test("cancel of a running task: CANCELING, SIGTERM, SIGKILL after the grace, then CANCELED with message and reason")
    func cancelRunning() throws {
        var h = LifecycleHarness(grace: .seconds(5))
        let job = h.submit([["sleep", "60"]])
        let run = h.answerLaunch(at: 0)
        #expect(try h.cancel(job, message: "wrong input", at: 1) == 1)
        #expect(h.status(job, 0) == .canceling)
        #expect(h.signalsSent(to: run) == [SIGTERM])
        h.advance(to: 5.9)
        #expect(h.signalsSent(to: run) == [SIGTERM])
        h.advance(to: 6)
        #expect(h.signalsSent(to: run) == [SIGTERM, SIGKILL])
        h.exit(run, .signaled(SIGKILL), at: 6.01)
        #expect(h.status(job, 0) == .canceled)
        #expect(h.task(job, 0).cancellationMessage == "Canceled by ann: wrong input")
        #expect(h.task(job, 0).cancellationReason == .direct)
    }

    @Test("cancel of queued tasks is at once; of a task waiting for setup too")
    func cancelQueued() throws {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["a"], ["b"]])
        h.startAll(at: 0)
        #expect(try h.cancel(job, task: 1, at: 0.5) == 1)
        #expect(h.status(job, 1) == .canceled)
        #expect(h.signals.isEmpty)
    }

    @Test("a cancel after the timeout kill went out does not turn TIMED_OUT into CANCELED")
    func cancelAfterTimeoutKill() throws {
        var h = LifecycleHarness()
        let job = h.submit([["sleep", "60"]]) { $0.taskTimeout = 1 }
        let run = h.answerLaunch(at: 0)
        h.advance(to: 1)
        #expect(try h.cancel(job, at: 1.01) == 0)
        h.exit(run, .signaled(SIGKILL), at: 1.02)
        #expect(h.status(job, 0) == .timedOut)
    }

    @Test("a deadline passing during a cancel's grace does not add a timeout")
    func deadlineDuringCancelGrace() throws {
        var h = LifecycleHarness(grace: .seconds(5))
        let job = h.submit([["sleep", "60"]]) { $0.taskTimeout = 1 }
        let run = h.answerLaunch(at: 0)
        try h.cancel(job, at: 0.5)
        h.advance(to: 1.5)
        #expect(h.signalsSent(to: run) == [SIGTERM])
        h.exit(run, .signaled(SIGTERM), at: 1.6)
        #expect(h.status(job, 0) == .canceled)
    }

    @Test("a task canceled while its launch is pending: the launch is ended at once, and a start reported after is ended too")
    func cancelPendingLaunch() throws {
        var h = LifecycleHarness(grace: .seconds(2))
        let job = h.submit([["x"]])
        let run = h.answerLaunch(.pending, at: 0)
        #expect(try h.cancel(job, at: 1) == 1)
        #expect(h.status(job, 0) == .canceling)
        // Nothing of the task has run yet: the backend is told to end the launch at once.
        #expect(h.signalsSent(to: run) == [SIGKILL])
        // One that could not stop it in time reports the start: it is ended like any running task.
        h.report(.started(run, RunDetail(backendID: "9_0"), at: LifecycleHarness.at(3)))
        #expect(h.signalsSent(to: run) == [SIGKILL, SIGTERM])
        h.advance(to: 5)
        #expect(h.signalsSent(to: run) == [SIGKILL, SIGTERM, SIGKILL])
        h.report(.lost(run, reason: "canceled", at: LifecycleHarness.at(5.1)))
        #expect(h.status(job, 0) == .canceled)
    }

    @Test("cancel_on_task_failure: the others are CANCELED with reason CONSEQUENTIAL naming the failed task")
    func consequential() {
        var h = LifecycleHarness(slots: 2)
        let job = h.submit([["false"], ["sleep", "9"], ["sleep", "9"]]) { $0.cancelOnTaskFailure = true }
        let runs = h.startAll(at: 0)
        h.exit(runs[0], .exited(1), at: 1)
        #expect(h.status(job, 0) == .failed)
        #expect(h.status(job, 1) == .canceling)
        #expect(h.status(job, 2) == .canceled)
        #expect(h.task(job, 2).cancellationReason == .consequential)
        #expect(h.task(job, 2).cancellationMessage == "Canceled because task 0 (task-0) failed")
        h.exit(runs[1], .signaled(SIGTERM), at: 1.1)
        #expect(h.status(job, 1) == .canceled)
        #expect(h.lifecycle.jobs[job]!.finishedAt != nil)
    }

    @Test("a change to a job in the pass that submits it reaches the store with the job (its setup started at once)")
    func changeInTheSubmittingPass() {
        var h = LifecycleHarness(slots: 2)
        h.keepsBatches = true
        let job = h.submit([["a"]]) { $0.environment = EnvironmentSpec(setup: ["make"]) }
        let inserted = h.batches.last?.newJobs.first { $0.id == job }
        #expect(inserted?.setup == .running, "the store would get the job as it was before its setup started")
    }

    @Test("setup runs first in the slot of the task first in line; its success starts that task, then the rest")
    func setupSucceeds() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["a"], ["b"]]) { $0.environment = EnvironmentSpec(setup: ["make"]) }
        #expect(h.pendingLaunches.first?.1.purpose == .setup(job))
        #expect(h.status(job, 0) == .assigned)
        let setup = h.answerLaunch(at: 0)
        h.exit(setup, .exited(0), at: 2)
        #expect(h.lifecycle.jobs[job]!.setup == .succeeded)
        #expect(h.pendingLaunches.first?.1.purpose == .task(TaskKey(job: job, task: 0)))
        let run = h.answerLaunch(at: 2)
        h.exit(run, .exited(0), at: 3)
        #expect(h.status(job, 1) == .assigned)
    }

    @Test("a failing setup gives ENVIRONMENT_ERROR to every task, with its stderr as the trace; none runs")
    func setupFails() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["a"], ["b"]]) { $0.environment = EnvironmentSpec(setup: ["make"]) }
        let setup = h.answerLaunch(at: 0)
        h.exit(setup, .exited(2), at: 1, stderrTail: "make: *** no rule\n")
        #expect(h.status(job, 0) == .environmentError)
        #expect(h.status(job, 1) == .environmentError)
        #expect(h.task(job, 1).exception?.type == "EnvironmentSetupError")
        #expect(h.task(job, 1).exception?.trace == "make: *** no rule\n")
        #expect(h.task(job, 0).attempts == 0)
        #expect(h.pendingLaunches.isEmpty)
    }

    @Test("teardown runs once every task is final, without a slot; its failure is a job warning")
    func teardown() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["a"]]) { $0.environment = EnvironmentSpec(teardown: ["rm", "-rf", "tmp"]) }
        let run = h.answerLaunch(at: 0)
        h.exit(run, .exited(0), at: 1)
        #expect(h.pendingLaunches.first?.1.purpose == .teardown(job))
        let teardown = h.answerLaunch(at: 1)
        #expect(h.lifecycle.busySlots == 0)
        h.exit(teardown, .exited(1), at: 2, stderrTail: "rm: busy\n")
        #expect(h.lifecycle.jobs[job]!.warnings == ["teardown exited with status 1: rm: busy"])
    }

    @Test("retry of a finished task: a new attempt, the job unfinished again, its files replaced")
    func retry() throws {
        var h = LifecycleHarness()
        let job = h.submit([["false"]])
        var run = h.answerLaunch(at: 0)
        h.exit(run, .exited(1), at: 1)
        #expect(h.lifecycle.jobs[job]!.finishedAt != nil)
        try h.lifecycle.retry(job: job, task: 0, at: LifecycleHarness.at(2))
        h.collect()
        #expect(h.lifecycle.jobs[job]!.finishedAt == nil)
        #expect(h.pendingLaunches.first?.1.replacesEarlierAttempt == true)
        #expect(h.pendingLaunches.first?.1.environment[TaskEnvironment.attempt] == "2")
        run = h.answerLaunch(at: 2)
        h.exit(run, .exited(0), at: 3)
        #expect(h.status(job, 0) == .completed)
        #expect(h.task(job, 0).attempts == 2)
        #expect(throws: SchedulerRequestError.self) { try h.lifecycle.retry(job: job, task: 5, at: LifecycleHarness.at(4)) }
    }

    @Test("shutdown: SIGTERM to every run, nothing new starts, what ran is SUBMITTED again without using a retry")
    func shutdown() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["sleep", "9"], ["b"]])
        let run = h.answerLaunch(at: 0)
        h.shutdown(at: 1)
        #expect(h.signalsSent(to: run) == [SIGTERM])
        h.exit(run, .signaled(SIGTERM), at: 1.1)
        #expect(h.status(job, 0) == .submitted)
        #expect(h.task(job, 0).interruptedRetryAttempts == 0)
        #expect(h.pendingLaunches.isEmpty, "nothing starts while shutting down")
    }

    @Test("recovery: RUNNING and ASSIGNED tasks of a crashed scheduler are INTERRUPTED, their orphans killed, and run again")
    func recovery() {
        var crashed = LifecycleHarness()
        let job = crashed.submit([["a"], ["b"], ["c"]])
        crashed.answerLaunch(.started(RunDetail(pid: 777)), at: 0)
        crashed.collect()
        var h = LifecycleHarness(slots: 2, jobs: Array(crashed.lifecycle.jobs.values))
        #expect(h.status(job, 0) == .running)
        #expect(h.status(job, 1) == .assigned)
        let recovered = h.lifecycle.recover(at: LifecycleHarness.at(10))
        h.collect()
        #expect(recovered == 2)
        #expect(h.orphanKills.map(\.0) == [777])
        #expect(h.task(job, 0).interruptedRetryAttempts == 1)
        #expect(h.lifecycle.nextJobID == job + 1)
        #expect(h.pendingLaunches.count == 2)
    }
}

@Suite("Lifecycle reducer: recovery counts attempts that were started but never recorded")
struct LifecycleRecoveryTests {
    @Test("a SUBMITTED task found running after a crash keeps its attempt number used; the next run is the one after")
    func unrecordedStart() {
        var crashed = LifecycleHarness(slots: 1)
        let job = crashed.submit([["a"], ["b"]])
        crashed.collect()
        var h = LifecycleHarness(slots: 2, jobs: Array(crashed.lifecycle.jobs.values))
        // Task 1 was SUBMITTED in the database, but its process (attempt 1) was found running.
        h.lifecycle.recover(at: LifecycleHarness.at(5), startedAttempts: [TaskKey(job: job, task: 1): 1])
        h.collect()
        #expect(h.task(job, 1).attempts == 1)
        let launch = h.pendingLaunches.first { $0.1.purpose == .task(TaskKey(job: job, task: 1)) }
        #expect(launch?.1.environment[TaskEnvironment.attempt] == "2")
        #expect(h.task(job, 1).warnings.first?.contains("attempt 1 had started") == true)
    }
}
