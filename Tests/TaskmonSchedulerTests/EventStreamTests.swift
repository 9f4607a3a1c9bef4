import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("The event stream")
struct EventStreamTests {
    /// Collects messages until `stop` says so or the deadline passes.
    func collect(_ subscription: EventSubscription, until stop: ([SchedulerEvent]) -> Bool) async throws -> [SchedulerEvent] {
        var events: [SchedulerEvent] = []
        let deadline = Date().addingTimeInterval(30)
        while !stop(events) && Date() < deadline {
            if case .event(let event)? = try await nextMessage(subscription, within: 1) { events.append(event) }
        }
        return events
    }

    @Test("a subscriber sees a job's life in order, with increasing seq")
    func liveEvents() async throws {
        try await withScheduler { scheduler in
            let subscription = try await scheduler.client.subscribe(afterSeq: nil)
            defer { subscription.cancel() }
            let job = try await scheduler.submit([channel(#"{"progress": {"percent": 50, "info": "half"}}"#) + "; sleep 0.3"])
            let events = try await collect(subscription) { $0.contains { if case .jobCompleted = $0.body { true } else { false } } }
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.seq + 1 == $1.seq })
            var kinds: [String] = []
            for event in events {
                switch event.body {
                case .jobSubmitted(let info): #expect(info.id == job); kinds.append("submitted")
                case .taskStatusChanged(let change): kinds.append(change.status.name)
                case .taskProgress(let update): #expect(update.progress.percent == 50); kinds.append("progress")
                case .jobCompleted(let info): #expect(info.count(.completed) == 1); kinds.append("completed")
                case .taskWarning: kinds.append("warning")
                }
            }
            #expect(kinds == ["submitted", "ASSIGNED", "RUNNING", "progress", "COMPLETED", "completed"])
        }
    }

    @Test("subscribing from a sequence number replays what came after it, then goes live")
    func replay() async throws {
        try await withScheduler { scheduler in
            let first = try await scheduler.submit(["true"])
            try await scheduler.waitForJob(first)
            let subscription = try await scheduler.client.subscribe(afterSeq: 0)
            defer { subscription.cancel() }
            let second = try await scheduler.submit(["true"])
            let events = try await collect(subscription) { events in
                events.contains { if case .jobCompleted(let info) = $0.body { info.id == second } else { false } }
            }
            #expect(events.first?.seq == 1)
            #expect(zip(events, events.dropFirst()).allSatisfy { $0.seq + 1 == $1.seq })
        }
    }

    @Test("events survive a restart and numbering continues")
    func eventsAreDurable() async throws {
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var scheduler = try await TestScheduler.start(directory: directory)
        let job = try await scheduler.submit(["true"])
        try await scheduler.waitForJob(job)
        let lastSeq = try await scheduler.client.status().lastSeq
        await scheduler.stop()
        scheduler = try await TestScheduler.start(directory: directory)
        let subscription = try await scheduler.client.subscribe(afterSeq: 0)
        let replayed = try await collect(subscription) { $0.count >= Int(lastSeq) }
        subscription.cancel()
        #expect(replayed.map(\.seq) == Array(1...lastSeq))
        let next = try await scheduler.submit(["true"])
        try await scheduler.waitForJob(next)
        #expect(try await scheduler.client.status().lastSeq > lastSeq)
        await scheduler.stop()
    }

    @Test("a subscriber that stops reading is dropped with a resync notice; the scheduler goes on")
    func slowSubscriber() async throws {
        // The hub with an in-memory sink that refuses once it holds a few lines.
        final class TinySink: EventSink, @unchecked Sendable {
            let lock = NSLock()
            var lines: [Data] = []
            var unconditional: [Data] = []
            func send(_ line: Data) -> Bool {
                lock.withLock {
                    guard lines.count < 3 else { return false }
                    lines.append(line)
                    return true
                }
            }
            func sendUnconditionally(_ line: Data) { lock.withLock { unconditional.append(line) } }
        }
        let hub = EventHub(lastSeq: 0, store: nil)
        let sink = TinySink()
        hub.subscribe(sink, afterSeq: nil)
        let events = (1...10).map { EncodedEvent(seq: UInt64($0), time: Date(), json: Data("{\"seq\":\($0)}".utf8)) }
        hub.publish(events)
        #expect(sink.lines.count == 3)
        #expect(sink.unconditional.count == 1)
        let notice = String(decoding: sink.unconditional[0], as: UTF8.self)
        #expect(notice.contains("\"method\":\"resync\""))
        #expect(hub.subscriberCount == 0)
        hub.publish([EncodedEvent(seq: 11, time: Date(), json: Data("{}".utf8))])
        #expect(sink.lines.count == 3)
        #expect(hub.lastSeq == 11)
    }

    @Test("asking to resume from events no longer kept gets a resync notice")
    func tooOld() async throws {
        final class Sink: EventSink, @unchecked Sendable {
            let lock = NSLock()
            var unconditional: [Data] = []
            func send(_ line: Data) -> Bool { true }
            func sendUnconditionally(_ line: Data) { lock.withLock { unconditional.append(line) } }
        }
        let hub = EventHub(lastSeq: 0, capacity: 4, store: nil)
        hub.publish((1...10).map { EncodedEvent(seq: UInt64($0), time: Date(), json: Data("{}".utf8)) })
        let sink = Sink()
        hub.subscribe(sink, afterSeq: 2)
        #expect(sink.unconditional.count == 1)
        #expect(hub.subscriberCount == 0)
    }
}

@Suite("Server-side subscription filters")
struct SubscriptionFilterTests {
    @Test("a subscription for one job's completion gets that one event, live and replayed, and nothing else")
    func oneJobsCompletion() async throws {
        try await withScheduler { scheduler in
            let other = try await scheduler.submit(["true", "true", "true"])
            try await scheduler.waitForJob(other)
            let params = SubscribeParams(afterSeq: 0, jobID: other + 1, types: [EventBody.jobCompletedType])
            let events = try await offPool { try scheduler.client.subscribe(params) }
            defer { events.cancel() }
            let job = try await scheduler.submit(["true", "true"])
            #expect(job == other + 1)
            let first = try await nextMessage(events, within: 30)
            guard case .event(let event)? = first, case .jobCompleted(let info) = event.body else {
                Issue.record("expected the job's completion, got \(String(describing: first))")
                return
            }
            #expect(info.id == job)
            #expect(try await nextMessage(events, within: 0.3) == nil, "nothing else is sent")
            // Replayed from the start: still only that job's completion.
            let replay = try await offPool { try scheduler.client.subscribe(params) }
            defer { replay.cancel() }
            guard case .event(let again)? = try await nextMessage(replay, within: 30), case .jobCompleted(let same) = again.body else {
                Issue.record("replay did not deliver the completion")
                return
            }
            #expect(same.id == job)
            #expect(try await nextMessage(replay, within: 0.3) == nil)
        }
    }
}
