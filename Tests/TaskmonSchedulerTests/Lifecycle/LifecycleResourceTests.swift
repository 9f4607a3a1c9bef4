import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Lifecycle reducer: cores and memory (slots count cores)")
struct LifecycleResourceTests {
    @Test("a task needing 2 cores takes 2 slots: on 3 slots, one such task and one plain task run, the rest wait")
    func coresTakeSlots() {
        var h = LifecycleHarness(slots: 3)
        let wide = h.submit([["a"], ["b"]]) { $0.resources = TaskResources(cores: 2) }
        #expect(h.pendingLaunches.count == 1)
        #expect(h.lifecycle.busySlots == 2)
        let plain = h.submit([["p"], ["q"]])
        // Queue order: wide/1 is first in line and needs 2 of the 1 slot free, so it waits and
        // the plain tasks behind it wait too (no starving the wide job).
        #expect(h.status(wide, 1) == .submitted)
        #expect(h.status(plain, 0) == .submitted)
        let first = h.answerLaunch(at: 0)
        h.exit(first, .exited(0), at: 1)
        #expect(h.status(wide, 1) == .assigned)
        #expect(h.status(plain, 0) == .assigned, "2 + 1 slots")
        #expect(h.status(plain, 1) == .submitted)
        #expect(h.lifecycle.busySlots == 3)
        #expect(h.pendingLaunches.map(\.1.resources) == [TaskResources(cores: 2), nil])
    }

    @Test("memory asks add up to the scheduler's memory; a task whose ask is not free waits until a run ends")
    func memoryIsReserved() {
        var h = LifecycleHarness(slots: 4, memoryMB: 1000)
        let job = h.submit([["a"], ["b"], ["c"]]) { $0.resources = TaskResources(memoryMB: 400) }
        #expect(h.pendingLaunches.count == 2, "800 of 1000 MB; a third 400 does not fit")
        #expect(h.lifecycle.busyMemoryMB == 800)
        let runs = h.startAll(at: 0)
        #expect(h.status(job, 2) == .submitted)
        h.exit(runs[1], .exited(0), at: 2)
        #expect(h.status(job, 2) == .assigned)
        #expect(h.lifecycle.busyMemoryMB == 800)
        let last = h.answerLaunch(at: 2)
        h.exit(runs[0], .exited(0), at: 3)
        h.exit(last, .exited(0), at: 4)
        #expect(h.lifecycle.busyMemoryMB == 0)
        #expect(h.lifecycle.busySlots == 0)
    }

    @Test("a task without a memory ask reserves nothing and is not held back by memory")
    func noAskNoReservation() {
        var h = LifecycleHarness(slots: 2, memoryMB: 100)
        h.submit([["big"]]) { $0.resources = TaskResources(memoryMB: 100) }
        let plain = h.submit([["small"]])
        #expect(h.status(plain, 0) == .assigned)
        #expect(h.lifecycle.busyMemoryMB == 100)
    }

    @Test("a job's setup holds its tasks' cores and memory, which pass to the task it ran for")
    func setupHoldsTheClaim() {
        var h = LifecycleHarness(slots: 2, memoryMB: 1000)
        let job = h.submit([["a"], ["b"]]) {
            $0.resources = TaskResources(cores: 2, memoryMB: 300)
            $0.environment = EnvironmentSpec(setup: ["prepare"])
        }
        #expect(h.pendingLaunches.count == 1)
        #expect(h.lifecycle.busySlots == 2)
        #expect(h.lifecycle.busyMemoryMB == 300)
        let setup = h.answerLaunch(at: 0)
        h.exit(setup, .exited(0), at: 1)
        #expect(h.status(job, 0) == .assigned)
        #expect(h.status(job, 1) == .submitted)
        #expect(h.lifecycle.busySlots == 2)
        #expect(h.lifecycle.busyMemoryMB == 300)
    }

    @Test("canceling a running wide task frees its slots for what waits")
    func cancelFreesSlots() throws {
        var h = LifecycleHarness(slots: 2, grace: .seconds(1))
        let wide = h.submit([["w"]]) { $0.resources = TaskResources(cores: 2) }
        let run = h.answerLaunch(at: 0)
        let next = h.submit([["n"]])
        #expect(h.status(next, 0) == .submitted)
        try h.cancel(wide, at: 1)
        h.exit(run, .signaled(SIGTERM), at: 1.1)
        #expect(h.status(wide, 0) == .canceled)
        #expect(h.status(next, 0) == .assigned)
        #expect(h.lifecycle.busySlots == 1)
    }

    @Test("a task that can never fit (a restart with fewer slots) ends ENVIRONMENT_ERROR and does not block the queue")
    func neverFits() {
        var h = LifecycleHarness(slots: 2, memoryMB: 500)
        let wide = h.submit([["a"], ["b"]]) { $0.resources = TaskResources(cores: 3) }
        let heavy = h.submit([["m"]]) { $0.resources = TaskResources(memoryMB: 501) }
        let plain = h.submit([["p"]])
        #expect(h.status(wide, 0) == .environmentError)
        #expect(h.status(wide, 1) == .environmentError)
        #expect(h.task(wide, 0).exception?.type == "ResourcesUnavailable")
        #expect(h.task(wide, 0).exception?.message.contains("3 cores") == true)
        #expect(h.status(heavy, 0) == .environmentError)
        #expect(h.task(heavy, 0).exception?.message.contains("501 MB") == true)
        #expect(h.status(plain, 0) == .assigned)
        #expect(h.lifecycle.jobs[wide]?.finishedAt != nil)
    }

    @Test("a task's own ask replaces its job's: one job, a wide task and narrow ones, each holding what it asked")
    func perTaskAsk() {
        var h = LifecycleHarness(slots: 2)
        let job = h.submit([["wide"], ["a"], ["b"]]) {
            $0.resources = TaskResources(cores: 1, memoryMB: 10)
            $0.tasks[0].resources = TaskResources(cores: 2)
        }
        #expect(h.pendingLaunches.map(\.1.resources) == [TaskResources(cores: 2)])
        #expect(h.lifecycle.busyMemoryMB == 0)
        let wide = h.answerLaunch(at: 0)
        h.exit(wide, .exited(0), at: 1)
        #expect(h.status(job, 1) == .assigned)
        #expect(h.status(job, 2) == .assigned)
        #expect(h.lifecycle.busyMemoryMB == 20)
        #expect(h.pendingLaunches.map(\.1.resources) == [TaskResources(cores: 1, memoryMB: 10), TaskResources(cores: 1, memoryMB: 10)])
    }

    @Test("on a cluster backend the scheduler does not count cores: every run takes one slot of the in-flight limit")
    func clusterDoesNotCount() {
        var h = LifecycleHarness(slots: 2)
        var settings = h.lifecycle.settings
        settings.countsResources = false
        h.lifecycle = Lifecycle(settings: settings)
        let job = h.submit([["a"], ["b"]]) { $0.resources = TaskResources(cores: 8, memoryMB: 1 << 20) }
        #expect(h.status(job, 0) == .assigned)
        #expect(h.status(job, 1) == .assigned)
        #expect(h.pendingLaunches.allSatisfy { $0.1.resources == TaskResources(cores: 8, memoryMB: 1 << 20) })
    }
}
