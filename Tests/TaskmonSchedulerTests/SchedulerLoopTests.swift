import Foundation
import Glibc
import Synchronization
import Testing

import TaskmonScheduler
import TaskmonTestSupport

/// An actor that runs on a loop, as the scheduler does.
private actor OnLoop {
    nonisolated let loop: SchedulerLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
    private var count = 0

    init(_ loop: SchedulerLoop) { self.loop = loop }

    func increment() -> (count: Int, onLoop: Bool) {
        count += 1
        return (count, loop.isCurrent)
    }
}

/// Waits for `body` to call its completion, on whatever thread.
private func scheduled(on loop: SchedulerLoop, _ body: @escaping @Sendable () -> Bool) async -> Bool {
    await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
        loop.schedule { continuation.resume(returning: body()) }
    }
}

/// Holds `loop` busy in a long turn, as a large submit would, until the returned semaphore is
/// signalled (at most 60 s); returns once the turn has begun.
func holdBusy(_ loop: SchedulerLoop) async -> DispatchSemaphore {
    let running = Mutex(false)
    let release = DispatchSemaphore(value: 0)
    loop.schedule {
        running.withLock { $0 = true }
        _ = release.wait(timeout: .now() + 60)
    }
    #expect(await within { running.withLock { $0 } })
    return release
}

@Suite("SchedulerLoop")
struct SchedulerLoopTests {
    @Test func anActorOnTheLoopRunsThereOneTurnAtATime() async {
        let loop = SchedulerLoop(name: "test-loop")
        defer { loop.stop() }
        let actor = OnLoop(loop)
        let results = await withTaskGroup(of: (count: Int, onLoop: Bool).self) { group in
            for _ in 0..<500 { group.addTask { await actor.increment() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0.onLoop })
        #expect(Set(results.map(\.count)) == Set(1...500))
        #expect(!loop.isCurrent)
    }

    @Test func scheduledWorkRunsOnTheLoopInOrder() async {
        let loop = SchedulerLoop(name: "test-loop")
        defer { loop.stop() }
        let order = Mutex<[Int]>([])
        for index in 0..<100 { loop.schedule { order.withLock { $0.append(index) } } }
        #expect(await scheduled(on: loop) { loop.isCurrent })
        #expect(order.withLock { $0 } == Array(0..<100))
    }

    /// A descriptor is served while readable and leaves the loop once its server says so.
    @Test func aDescriptorIsServedUntilItsServerIsDone() async throws {
        let loop = SchedulerLoop(name: "test-loop")
        defer { loop.stop() }
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let readEnd = fds[0]
        let received = Mutex<(bytes: [UInt8], calls: Int, ended: Bool)>(([], 0, false))
        let added = loop.add(readEnd) {
            var buffer = [UInt8](repeating: 0, count: 16)
            let count = read(readEnd, &buffer, buffer.count)
            return received.withLock { state in
                state.calls += 1
                if count > 0 { state.bytes += buffer[0..<count] }
                state.ended = count <= 0
                return count > 0
            }
        }
        #expect(added)
        _ = write(fds[1], "abc", 3)
        close(fds[1])
        #expect(await within { received.withLock { $0.ended } })
        // One more round of the loop: a descriptor still in its set would be served again
        // (end of file stays readable), so the count of calls would grow.
        #expect(await scheduled(on: loop) { true })
        #expect(await scheduled(on: loop) { true })
        let state = received.withLock { $0 }
        #expect(state.bytes == Array("abc".utf8))
        #expect(state.ended)
        #expect(state.calls == 2)
        close(readEnd)
    }

    /// An idle loop looked last when it woke, not when it went idle: what it finds after the
    /// turn it woke for happened during that turn. Outside the serving of a descriptor there
    /// is no such moment.
    @Test func whatALoopFindsAfterATurnHappenedNoEarlierThanTheTurn() async throws {
        let clock = SystemClock()
        let loop = SchedulerLoop(name: "test-loop", clock: clock)
        defer { loop.stop() }
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let readEnd = fds[0]
        let seen = Mutex<Moment?>(nil)
        #expect(loop.add(readEnd) {
            seen.withLock { $0 = loop.servedSince }
            return false
        })
        #expect(await scheduled(on: loop) { loop.servedSince == nil })
        // Long enough for the loop to be waiting (then a stale last look shows); the check
        // below holds however long it is.
        try await Task.sleep(for: .milliseconds(20))
        let before = clock.now()
        let release = await holdBusy(loop)
        _ = write(fds[1], "x", 1)
        release.signal()
        #expect(await within { seen.withLock { $0 } != nil })
        let since = try #require(seen.withLock { $0 })
        #expect(since >= before)
        fds.forEach { close($0) }
    }

    /// Once stopped and idle its thread ends; an actor on it still answers (nothing that
    /// awaits it may hang), no longer on the loop's thread.
    @Test func workAfterTheLoopHasEndedStillRuns() async throws {
        let loop = SchedulerLoop(name: "test-loop")
        let actor = OnLoop(loop)
        #expect(await actor.increment().onLoop)
        loop.stop()
        #expect(await within { await !scheduled(on: loop) { loop.isCurrent } })
        let after = await actor.increment()
        #expect(after.count == 2)
        #expect(!after.onLoop)
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        #expect(!loop.add(fds[0]) { false })
        fds.forEach { close($0) }
    }
}
