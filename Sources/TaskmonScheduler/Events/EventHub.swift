import DequeModule
import Foundation
import Synchronization
import TaskmonKit

/// Where event lines go: a client connection, or an in-memory sink in tests.
protocol EventSink: AnyObject, Sendable {
    /// Queues a line; false when the reader is too far behind to take more.
    func send(_ line: Data) -> Bool
    /// Queues a line whatever the backlog (for the one resync notice).
    func sendUnconditionally(_ line: Data)
    /// True once nobody reads any more (a replay stops waiting for room).
    var isClosed: Bool { get }
    /// Gives up on a reader that stopped reading (a connection is closed).
    func abandon()
    /// Whether a replay that found the sink full may go on (the reader took a good part).
    var hasRoom: Bool { get }
}

extension EventSink {
    var isClosed: Bool { false }
    func abandon() {}
    var hasRoom: Bool { true }
}

/// Keeps the recent events and the subscribers, and hands every committed event to each.
///
/// A subscriber that cannot keep up gets one resync notice and is dropped instead of
/// slowing the scheduler down: it takes a fresh snapshot and subscribes again.
final class EventHub: Sendable {
    private struct Subscriber {
        let sink: any EventSink
        let filter: EventFilter
    }

    private struct State {
        var recent = Deque<EncodedEvent>()
        var subscribers: [ObjectIdentifier: Subscriber] = [:]
        var lastSeq: UInt64 = 0
    }

    private let state: Mutex<State>
    private let capacity: Int
    private let store: Store?

    /// - Parameters:
    ///   - lastSeq: the newest stored event's number, so that numbering continues after a restart.
    ///   - capacity: how many recent events to keep in memory for replay; older ones come from `store`.
    init(lastSeq: UInt64, capacity: Int = 65_536, store: Store?) {
        var initial = State()
        initial.lastSeq = lastSeq
        state = Mutex(initial)
        self.capacity = capacity
        self.store = store
    }

    var lastSeq: UInt64 { state.withLock { $0.lastSeq } }

    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Hands committed events to every subscriber, in order.
    func publish(_ events: [EncodedEvent]) {
        guard !events.isEmpty else { return }
        state.withLock { state in
            for event in events {
                state.recent.append(event)
                state.lastSeq = event.seq
            }
            while state.recent.count > capacity { state.recent.removeFirst() }
            guard !state.subscribers.isEmpty else { return }
            var dropped: [ObjectIdentifier] = []
            for (id, subscriber) in state.subscribers {
                for event in events where subscriber.filter.admits(event) && !subscriber.sink.send(Self.notificationLine(event.json)) {
                    subscriber.sink.sendUnconditionally(Self.resyncLine(
                        reason: "subscriber fell behind; take a snapshot and subscribe again", lastSeq: state.lastSeq))
                    dropped.append(id)
                    break
                }
            }
            for id in dropped { state.subscribers[id] = nil }
        }
    }

    /// Replays the events after `afterSeq` (none when nil), then streams live ones; a replay
    /// the sink cannot take at once ends in a resync notice. The server uses the `async`
    /// variant, which waits for the sink to drain instead.
    ///
    /// Returns the newest event's number at the moment of subscribing.
    @discardableResult
    func subscribe(_ sink: any EventSink, afterSeq: UInt64?, filter: EventFilter = .everything) -> UInt64 {
        var next = Self.first(after: afterSeq, lastSeq: lastSeq)
        while true {
            switch replayStep(sink, from: next, filter: filter) {
            case .subscribed(let last), .resynced(let last): return last
            case .more(let from): next = from
            case .full:
                return resync(sink, "replay too large for this subscriber; take a snapshot")
            }
        }
    }

    /// Replays every event after `afterSeq` — from the database, a page at a time, then from
    /// memory — waiting whenever the sink's queue is full, then streams live ones. A
    /// subscriber gets every event in order, or a resync notice (events pruned, or it
    /// stopped reading for `patience`); never a gap.
    @discardableResult
    func subscribePaced(
        _ sink: any EventSink, afterSeq: UInt64?, filter: EventFilter = .everything, patience: Duration = .seconds(60)
    ) async -> UInt64 {
        var next = Self.first(after: afterSeq, lastSeq: lastSeq)
        var waitedSince: ContinuousClock.Instant?
        while true {
            switch replayStep(sink, from: next, filter: filter) {
            case .subscribed(let last), .resynced(let last): return last
            case .more(let from):
                next = from
                waitedSince = nil
            case .full(let from):
                if from != next { waitedSince = nil }
                next = from
                let now = ContinuousClock.now
                if sink.isClosed { return lastSeq }
                if let since = waitedSince, now - since > patience {
                    let last = resync(sink, "subscriber stopped reading during the replay; take a snapshot")
                    // What it has not read stays queued in our memory while it lives: let it go.
                    sink.abandon()
                    return last
                }
                if waitedSince == nil { waitedSince = now }
                // Cheap polls of the queue, not of the database, until the reader took a good part.
                repeat {
                    try? await Task.sleep(for: .milliseconds(5))
                } while !sink.hasRoom && !sink.isClosed && ContinuousClock.now - waitedSince! <= patience
            }
        }
    }

    /// The first event to replay: nil (live only) starts after the newest.
    private static func first(after afterSeq: UInt64?, lastSeq: UInt64) -> UInt64? {
        guard let afterSeq else { return nil }
        // No overflow at UInt64.max: nothing comes after it.
        return afterSeq >= lastSeq ? lastSeq + 1 : afterSeq + 1
    }

    private enum ReplayStep {
        case subscribed(UInt64)
        case resynced(UInt64)
        /// Go on from this event (the next page of the database).
        case more(UInt64)
        /// The sink took no more; go on from this event once it has room.
        case full(UInt64)
    }

    /// Events per page read from the database during a replay.
    static let replayPage = 4096

    /// One step of a replay from `next` (nil: live only). Database pages are read without the
    /// lock; the last stretch (from memory) and the registration happen under it, so no
    /// event is missed or sent twice.
    private func replayStep(_ sink: any EventSink, from next: UInt64?, filter: EventFilter) -> ReplayStep {
        if let next, let store {
            let (oldestInMemory, published) = state.withLock { ($0.recent.first?.seq, $0.lastSeq) }
            if next <= published, oldestInMemory.map({ next < $0 }) ?? true {
                // Only what was published: a committed event not yet published arrives live.
                let page = (try? store.events(after: next - 1, upTo: published, limit: Self.replayPage)) ?? []
                guard let first = page.first, first.seq == next else {
                    return .resynced(resync(sink, "events after \(next - 1) are no longer kept; take a snapshot"))
                }
                var sent = next
                for event in page {
                    guard !filter.admits(event) || sink.send(Self.notificationLine(event.json)) else { return .full(sent) }
                    sent = event.seq + 1
                }
                return .more(sent)
            }
        }
        return state.withLock { state -> ReplayStep in
            if var next {
                let available = state.recent.first?.seq ?? state.lastSeq + 1
                if next < available {
                    // Memory moved on while pages came from the database: read on from there.
                    if store != nil { return .more(next) }
                    sink.sendUnconditionally(Self.resyncLine(
                        reason: "events after \(next - 1) are no longer kept; take a snapshot", lastSeq: state.lastSeq))
                    return .resynced(state.lastSeq)
                }
                if next <= state.lastSeq, let base = state.recent.first?.seq {
                    for event in state.recent[Int(next - base)...] {
                        guard !filter.admits(event) || sink.send(Self.notificationLine(event.json)) else { return .full(next) }
                        next = event.seq + 1
                    }
                }
            }
            state.subscribers[ObjectIdentifier(sink)] = Subscriber(sink: sink, filter: filter)
            return .subscribed(state.lastSeq)
        }
    }

    @discardableResult
    private func resync(_ sink: any EventSink, _ reason: String) -> UInt64 {
        let last = lastSeq
        sink.sendUnconditionally(Self.resyncLine(reason: reason, lastSeq: last))
        return last
    }

    func unsubscribe(_ sink: any EventSink) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: ObjectIdentifier(sink)) }
    }

    private static let notificationPrefix = Data(#"{"jsonrpc":"2.0","method":"event","params":"#.utf8)

    /// `{"jsonrpc":"2.0","method":"event","params":EVENT}` without encoding the event again.
    static func notificationLine(_ eventJSON: Data) -> Data {
        var line = Data(capacity: notificationPrefix.count + eventJSON.count + 1)
        line.append(notificationPrefix)
        line.append(eventJSON)
        line.append(UInt8(ascii: "}"))
        return line
    }

    static func resyncLine(reason: String, lastSeq: UInt64) -> Data {
        let notice = RPCNotification(method: RPCNotificationName.resync, params: ResyncNotice(reason: reason, lastSeq: lastSeq))
        return (try? Wire.encoder().encode(notice)) ?? Data()
    }
}
