import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Lifecycle reducer: how each run ends, decided by the moment it happened")
struct LifecycleOutcomeTests {
    @Test("a task runs through SUBMITTED → ASSIGNED → RUNNING → COMPLETED, and its job completes")
    func completed() {
        var h = LifecycleHarness()
        let job = h.submit([["true"]])
        #expect(h.pendingLaunches.count == 1)
        #expect(h.status(job, 0) == .assigned)
        let run = h.answerLaunch(at: 0.01)
        #expect(h.status(job, 0) == .running)
        #expect(h.task(job, 0).pid == 4242)
        #expect(h.task(job, 0).attempts == 1)
        h.exit(run, .exited(0), at: 0.2)
        #expect(h.path(job, 0) == [.assigned, .running, .completed])
        #expect(h.task(job, 0).exitCode == 0)
        #expect(h.task(job, 0).finishedAt == LifecycleHarness.at(0.2).wall)
        #expect(h.lifecycle.jobs[job]!.finishedAt == LifecycleHarness.at(0.2).wall)
        #expect(h.events.contains { if case .jobCompleted = $0 { true } else { false } })
        #expect(h.lifecycle.busySlots == 0)
    }

    @Test("the wrong TIMED_OUT: an exit before the deadline, reported after it (and after the kill went out), is COMPLETED")
    func exitBeforeDeadlineReportedLate() {
        var h = LifecycleHarness()
        let job = h.submit([["sh", "-c", "(sleep 3 &); sleep 0.9; exit 0"]]) { $0.taskTimeout = 1 }
        let run = h.answerLaunch(at: 0)
        // The deadline passes while the exit (at 0.9 s) still waits for its output to close.
        h.advance(to: 1.0)
        #expect(h.signalsSent(to: run) == [SIGKILL])
        h.exit(run, .exited(0), at: 0.9)
        #expect(h.status(job, 0) == .completed)
        #expect(h.task(job, 0).exception == nil)
    }

    @Test("a task killed at its deadline is TIMED_OUT, and says it was killed")
    func timedOutAndKilled() {
        var h = LifecycleHarness()
        let job = h.submit([["sleep", "60"]]) { $0.taskTimeout = 1 }
        let run = h.answerLaunch(at: 0.1)
        h.advance(to: 1.0)
        #expect(h.signals.isEmpty, "the deadline counts from the start, 1.1 s")
        #expect(h.lifecycle.nextTimer == LifecycleHarness.at(1.1))
        h.advance(to: 1.1)
        #expect(h.signalsSent(to: run) == [SIGKILL])
        h.exit(run, .signaled(SIGKILL), at: 1.12)
        #expect(h.status(job, 0) == .timedOut)
        #expect(h.task(job, 0).exception?.type == "TimeoutError")
        #expect(h.task(job, 0).exception?.message == "ran longer than the job's task timeout of 1s; killed")
        #expect(h.task(job, 0).signal == SIGKILL)
    }

    @Test("a task that ends on its own after its deadline, before the kill, is TIMED_OUT but not 'killed'")
    func exitAfterDeadlineBeforeKill() {
        var h = LifecycleHarness()
        let job = h.submit([["sleep", "1.05"]]) { $0.taskTimeout = 1 }
        let run = h.answerLaunch(at: 0)
        h.exit(run, .exited(0), at: 1.05)
        #expect(h.status(job, 0) == .timedOut)
        #expect(h.task(job, 0).exception?.message == "ran longer than the job's task timeout of 1s")
        #expect(h.task(job, 0).exitCode == 0)
    }

    @Test("no timeout without a task_timeout")
    func noTimeout() {
        var h = LifecycleHarness()
        let job = h.submit([["sleep", "1e9"]])
        let run = h.answerLaunch(at: 0)
        #expect(h.lifecycle.nextTimer == nil)
        h.advance(to: 1e6)
        #expect(h.signals.isEmpty)
        h.exit(run, .exited(0), at: 1e6)
        #expect(h.status(job, 0) == .completed)
    }

    @Test("an absurd task_timeout saturates instead of trapping")
    func hugeTimeout() {
        var h = LifecycleHarness()
        let job = h.submit([["true"]]) { $0.taskTimeout = 1e300 }
        let run = h.answerLaunch(at: 0)
        h.advance(to: 1e9)
        #expect(h.signals.isEmpty)
        h.exit(run, .exited(0), at: 1)
        #expect(h.status(job, 0) == .completed)
    }

    @Test("a non-zero exit is FAILED with ExitStatus and the stderr tail as its trace")
    func failed() {
        var h = LifecycleHarness()
        let job = h.submit([["false"]])
        let run = h.answerLaunch(at: 0)
        h.exit(run, .exited(3), at: 0.5, stderrTail: "Traceback: it broke\n")
        #expect(h.status(job, 0) == .failed)
        #expect(h.task(job, 0).exception == TaskException(type: "ExitStatus", message: "exited with status 3", trace: "Traceback: it broke\n"))
    }

    @Test("an exception the task reported through its channel is kept over ExitStatus")
    func failedWithChannelException() {
        var h = LifecycleHarness()
        let job = h.submit([["false"]])
        let run = h.answerLaunch(at: 0)
        h.lifecycle.channelRecords(TaskKey(job: job, task: 0), [.success(.exception(TaskException(type: "ValueError", message: "bad")))])
        h.exit(run, .exited(1), at: 0.5)
        #expect(h.task(job, 0).exception?.type == "ValueError")
    }

    @Test("properties, result and progress from the channel are kept, and a failure keeps its properties")
    func channelRecords() {
        var h = LifecycleHarness()
        let job = h.submit([["x"]])
        let run = h.answerLaunch(at: 0)
        let key = TaskKey(job: job, task: 0)
        h.lifecycle.channelRecords(key, [
            .success(.property(name: "Frames", value: .int(100))),
            .success(.progress(TaskProgress(percent: 40, info: "4 of 10"))),
            .failure(ChannelLineError("not a JSON object: x")),
        ])
        h.collect()
        #expect(h.events.contains { if case .taskProgress = $0 { true } else { false } })
        #expect(h.task(job, 0).warnings == ["channel: not a JSON object: x"])
        h.exit(run, .exited(2), at: 1)
        #expect(h.task(job, 0).properties == ["Frames": .int(100)])
        #expect(h.task(job, 0).progress == TaskProgress(percent: 40, info: "4 of 10"))
    }

    @Test("a signal the task did not ask for is INTERRUPTED and retried, up to the job's limit, then final")
    func interruptedAndRetried() {
        var h = LifecycleHarness()
        let job = h.submit([["x"]]) { $0.maxInterruptedRetries = 1 }
        var run = h.answerLaunch(at: 0)
        h.exit(run, .signaled(SIGSEGV), at: 0.1)
        #expect(h.path(job, 0) == [.assigned, .running, .interrupted, .submitted, .assigned])
        #expect(h.task(job, 0).interruptedRetryAttempts == 1)
        run = h.answerLaunch(at: 0.2)
        #expect(h.task(job, 0).attempts == 2)
        h.exit(run, .signaled(SIGSEGV), at: 0.3)
        #expect(h.status(job, 0) == .interrupted)
        #expect(h.lifecycle.jobs[job]!.finishedAt != nil, "no retries left: INTERRUPTED is final and the job is done")
        #expect(h.task(job, 0).exception?.message == "killed by signal 11 (SIGSEGV)")
    }

    @Test("a run the backend lost is INTERRUPTED and queued again")
    func lost() {
        var h = LifecycleHarness()
        let job = h.submit([["x"]])
        let run = h.answerLaunch(at: 0)
        h.report(.lost(run, reason: "node n1 failed", at: LifecycleHarness.at(0.5)))
        #expect(h.path(job, 0) == [.assigned, .running, .interrupted, .submitted, .assigned])
        #expect(h.pendingLaunches.count == 1)
    }

    @Test("a launch that fails is FAILED with LaunchError, and its slot goes to the next task")
    func launchFailed() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["nope"], ["true"]])
        h.answerLaunch(.failed(LaunchError(message: "cannot run 'nope': No such file or directory")), at: 0)
        #expect(h.status(job, 0) == .failed)
        #expect(h.task(job, 0).exception?.type == "LaunchError")
        #expect(h.task(job, 0).attempts == 1)
        #expect(h.status(job, 1) == .assigned)
        #expect(h.pendingLaunches.count == 1)
    }

    @Test("a pending launch (a cluster's) becomes RUNNING when its start is reported, and its deadline counts from then")
    func pendingLaunch() {
        var h = LifecycleHarness()
        let job = h.submit([["x"]]) { $0.taskTimeout = 10 }
        let run = h.answerLaunch(.pending, at: 0)
        #expect(h.status(job, 0) == .assigned)
        #expect(h.lifecycle.nextTimer == nil)
        h.report(.started(run, RunDetail(backendID: "77_0", place: "node1"), at: LifecycleHarness.at(30)))
        #expect(h.status(job, 0) == .running)
        #expect(h.task(job, 0).host == "node1")
        #expect(h.lifecycle.nextTimer == LifecycleHarness.at(40))
    }
}

@Suite("Lifecycle reducer: a machine out of processes is not the task's fault")
struct LifecycleTransientLaunchTests {
    @Test("a launch refused with EAGAIN requeues the task in its place, uses no retry, and starts again after a pause")
    func eagainRequeues() {
        var h = LifecycleHarness(slots: 1)
        let job = h.submit([["a"], ["b"]])
        h.answerLaunch(.failed(LaunchError(message: "cannot run 'a': Resource temporarily unavailable", transient: true)), at: 0)
        #expect(h.status(job, 0) == .submitted)
        #expect(h.task(job, 0).interruptedRetryAttempts == 0)
        #expect(h.task(job, 0).attempts == 0)
        #expect(h.pendingLaunches.isEmpty, "nothing starts during the pause")
        #expect(h.lifecycle.nextTimer == LifecycleHarness.at(0.25))
        h.advance(to: 0.1)
        #expect(h.pendingLaunches.isEmpty)
        h.advance(to: 0.25)
        #expect(h.pendingLaunches.first?.1.purpose == .task(TaskKey(job: job, task: 0)), "it kept its place")
        let run = h.answerLaunch(at: 0.3)
        h.exit(run, .exited(0), at: 0.4)
        #expect(h.status(job, 0) == .completed)
        #expect(h.status(job, 1) == .assigned)
    }
}
