import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Every attempt kept: the reducer keeps each attempt's record, the store keeps it across restarts")
struct AttemptHistoryTests {
    @Test("a retried task keeps its failed attempt (status, exception, properties, exit code, times, usage) and moves its files aside")
    func retryKeepsTheAttempt() throws {
        var h = LifecycleHarness()
        let job = h.submit([["false"]])
        var run = h.answerLaunch(at: 0)
        h.lifecycle.channelRecords(TaskKey(job: job, task: 0), [.success(.property(name: "Frames", value: .int(3)))])
        h.report(.exited(run, .exited(1), at: LifecycleHarness.at(1), outputComplete: true,
                         usage: ResourceUsage(peakRSS: 52_428_800, cpuTime: 0.75)), stderrTail: "boom\n")
        #expect(h.task(job, 0).peakRSS == 52_428_800)
        #expect(h.task(job, 0).cpuTime == 0.75)
        try h.lifecycle.retry(job: job, task: 0, at: LifecycleHarness.at(2))
        h.collect()

        let task = h.task(job, 0)
        #expect(task.status == .assigned)
        #expect(task.currentAttemptKept)
        #expect(task.peakRSS == nil && task.properties.isEmpty)
        let first = try #require(task.earlierAttempts.first)
        #expect(task.earlierAttempts.count == 1)
        #expect(first.attempt == 1)
        #expect(first.status == .failed)
        #expect(first.exitCode == 1)
        #expect(first.exception?.type == "ExitStatus")
        #expect(first.exception?.trace == "boom\n")
        #expect(first.properties["Frames"] == .int(3))
        #expect(first.startedAt == LifecycleHarness.at(0).wall)
        #expect(first.finishedAt == LifecycleHarness.at(1).wall)
        #expect(first.peakRSS == 52_428_800 && first.cpuTime == 0.75)
        #expect(task.info().attemptHistory == [first.summary])

        // The next launch keeps the last attempt's files under its number instead of removing them.
        let request = try #require(h.pendingLaunches.first?.1)
        #expect(request.keepsEarlierAttemptAs == "/state/output/\(job)/0.attempt1")
        run = h.answerLaunch(at: 2)
        h.exit(run, .exited(0), at: 3)
        #expect(h.status(job, 0) == .completed)
        #expect(h.task(job, 0).attempts == 2)
        #expect(h.task(job, 0).earlierAttempts.map(\.attempt) == [1])
    }

    @Test("an attempt interrupted by a signal is kept when the automatic retry starts the next")
    func interruptedRetryKeepsTheAttempt() {
        var h = LifecycleHarness()
        let job = h.submit([["sleep", "9"]]) { $0.maxInterruptedRetries = 1 }
        let run = h.answerLaunch(at: 0)
        h.exit(run, .signaled(SIGKILL), at: 1)
        let task = h.task(job, 0)
        #expect(task.status == .assigned)
        #expect(task.earlierAttempts.map(\.attempt) == [1])
        #expect(task.earlierAttempts.first?.status == .interrupted)
        #expect(task.earlierAttempts.first?.signal == SIGKILL)
    }

    @Test("a launch that failed for want of processes is no attempt: nothing kept twice, no number skipped")
    func transientLaunchFailureKeepsNothing() {
        var h = LifecycleHarness()
        let job = h.submit([["true"]])
        h.answerLaunch(.failed(LaunchError(message: "fork: EAGAIN", transient: true)), at: 0)
        #expect(h.task(job, 0).earlierAttempts.isEmpty)
        #expect(h.task(job, 0).attempts == 0)
    }

    @Test("an attempt a crash kept from being recorded (found running, the task SUBMITTED) is kept as INTERRUPTED")
    func unrecordedAttemptKept() {
        var crashed = LifecycleHarness(slots: 1)
        let job = crashed.submit([["a"], ["b"]])
        var h = LifecycleHarness(slots: 2, jobs: Array(crashed.lifecycle.jobs.values))
        h.keepsBatches = true
        h.lifecycle.recover(at: LifecycleHarness.at(5), startedAttempts: [TaskKey(job: job, task: 1): 1])
        h.collect()
        let task = h.task(job, 1)
        #expect(task.earlierAttempts.map(\.attempt) == [1])
        #expect(task.earlierAttempts.first?.status == .interrupted)
        #expect(task.earlierAttempts.first?.exception?.message.contains("before it was recorded") == true)
        #expect(h.batches.contains { $0.attemptsChanged.contains(TaskKey(job: job, task: 1)) })
        let launch = h.pendingLaunches.first { $0.1.purpose == .task(TaskKey(job: job, task: 1)) }
        #expect(launch?.1.keepsEarlierAttemptAs == "/state/output/\(job)/1.attempt1")
    }

    @Test("at most keptLimit earlier attempts are kept; the files of those pushed out are removed")
    func bounded() throws {
        var h = LifecycleHarness()
        let job = h.submit([["false"]])
        let rounds = AttemptSummary.keptLimit + 3
        for round in 0..<rounds {
            let run = h.answerLaunch(at: Double(round))
            h.exit(run, .exited(1), at: Double(round) + 0.5)
            if round < rounds - 1 {
                try h.lifecycle.retry(job: job, task: 0, at: LifecycleHarness.at(Double(round) + 0.6))
                h.collect()
            }
        }
        let task = h.task(job, 0)
        #expect(task.attempts == rounds)
        #expect(task.earlierAttempts.count == AttemptSummary.keptLimit)
        #expect(task.earlierAttempts.map(\.attempt) == Array((rounds - AttemptSummary.keptLimit)..<rounds))
        #expect(h.discardedAttemptOutput == (1...(rounds - 1 - AttemptSummary.keptLimit)).map { "/state/output/\(job)/0.attempt\($0)" })
    }

    @Test("kept attempts and usage survive a store round trip; one pushed out is deleted from it")
    func storeRoundTrip() throws {
        let folder = TestScheduler.makeDirectory().path
        let store = try Store(path: folder + "/taskmon.db")
        var h = LifecycleHarness()
        h.keepsBatches = true
        let job = h.submit([["false"]])
        for round in 0..<(AttemptSummary.keptLimit + 2) {
            let run = h.answerLaunch(at: Double(round))
            h.lifecycle.channelRecords(TaskKey(job: job, task: 0), [.success(.property(name: "Round", value: .int(Int64(round))))])
            h.report(.exited(run, .exited(1), at: LifecycleHarness.at(Double(round) + 0.5), outputComplete: true,
                             usage: ResourceUsage(peakRSS: Int64(round + 1) << 20, cpuTime: Double(round))))
            try h.lifecycle.retry(job: job, task: 0, at: LifecycleHarness.at(Double(round) + 0.6))
            h.collect()
            // Every third round's passes are committed; the rest pile up and are merged, as
            // the commit queue does while the disk is full.
            if round % 3 == 2 {
                try store.commit(merged(h.batches))
                h.batches = []
            }
        }
        try store.commit(merged(h.batches))
        let loaded = try store.load()
        #expect(loaded.problems.isEmpty)
        let task = try #require(loaded.jobs.first?.tasks.first)
        let live = h.task(job, 0)
        #expect(task.earlierAttempts == live.earlierAttempts)
        #expect(task.earlierAttempts.count == AttemptSummary.keptLimit)
        #expect(task.earlierAttempts.last?.peakRSS == Int64(AttemptSummary.keptLimit + 2) << 20)
        #expect(task.earlierAttempts.last?.properties["Round"] == .int(Int64(AttemptSummary.keptLimit + 1)))
    }
}

private func merged(_ batches: [StoreBatch]) -> StoreBatch {
    var all = StoreBatch()
    for batch in batches { all.merge(batch) }
    return all
}
