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

    /// Replays the events after `afterSeq` (none when nil), then streams live ones.
    ///
    /// Replay and registration happen under one lock, so no event is missed or sent twice.
    /// Returns the newest event's number at the moment of subscribing.
    @discardableResult
    func subscribe(_ sink: any EventSink, afterSeq: UInt64?, filter: EventFilter = .everything) -> UInt64 {
        // Events older than the in-memory window come from the database first.
        var fromStore: [EncodedEvent] = []
        if let afterSeq, let store {
            let oldestInMemory = state.withLock { $0.recent.first?.seq }
            if oldestInMemory == nil || afterSeq + 1 < oldestInMemory! {
                fromStore = (try? store.events(after: afterSeq, limit: capacity)) ?? []
            }
        }
        return state.withLock { state in
            var next = (afterSeq ?? state.lastSeq) + 1
            if afterSeq != nil {
                let available = fromStore.first?.seq ?? state.recent.first?.seq ?? state.lastSeq + 1
                if next < available {
                    sink.sendUnconditionally(Self.resyncLine(
                        reason: "events after \(afterSeq!) are no longer kept; take a snapshot", lastSeq: state.lastSeq))
                    return state.lastSeq
                }
                for event in fromStore where event.seq >= next {
                    next = event.seq + 1
                    guard filter.admits(event) else { continue }
                    _ = sink.send(Self.notificationLine(event.json))
                }
                for event in state.recent where event.seq >= next && filter.admits(event) {
                    if !sink.send(Self.notificationLine(event.json)) {
                        sink.sendUnconditionally(Self.resyncLine(
                            reason: "replay too large for this subscriber; take a snapshot", lastSeq: state.lastSeq))
                        return state.lastSeq
                    }
                }
            }
            state.subscribers[ObjectIdentifier(sink)] = Subscriber(sink: sink, filter: filter)
            return state.lastSeq
        }
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
