import Foundation
import Synchronization

/// What a subscription delivers.
public enum SubscriptionMessage: Sendable, Equatable {
    case event(SchedulerEvent)
    /// The last message: the subscriber fell behind (or asked for events no longer kept); take a
    /// snapshot and subscribe again from `lastSeq`.
    case resync(ResyncNotice)
}

/// A stream of scheduler events on a connection of its own.
///
/// Read it either as an `AsyncSequence` (a dedicated thread reads the socket and hands messages
/// over), or with the blocking ``next(timeout:)``; not both, and iterate it once.
///
/// The sequence ends after a ``SubscriptionMessage/resync(_:)`` message, or after ``cancel()``;
/// it fails with ``SchedulerClientError/connectionLost(_:)`` when the scheduler goes away.
///
/// The reader thread runs at most ``bufferLimit`` messages ahead of the consumer, then stops
/// reading the socket: a slow consumer makes the scheduler's queue for it fill up (and the
/// scheduler tell it to resync) rather than this process's memory.
public final class EventSubscription: AsyncSequence, Sendable {
    public typealias Element = SubscriptionMessage
    public typealias Failure = any Error

    /// Messages read ahead of the consumer, at most.
    public static let bufferLimit = 4096

    /// The scheduler's answer to `subscribe`.
    public let subscribed: SubscribeResult
    public let hello: HelloResult

    private let connection: SocketLineConnection
    /// One permit per message the reader may read ahead; the consumer gives them back.
    private let permits = DispatchSemaphore(value: EventSubscription.bufferLimit)
    private let state: Mutex<State>

    private struct State {
        /// Notifications that came before the answer to `subscribe`.
        var early: [SubscriptionMessage]
        var mode = Mode.unused
        var cancelled = false
        var ended = false
    }

    private enum Mode { case unused, blocking, streaming }

    init(socketPath: String, clientName: String, params: SubscribeParams, timeout: Duration?) throws(SchedulerClientError) {
        let connection = try SocketLineConnection(path: socketPath, deadline: timeout.map { ContinuousClock.now + $0 })
        var early: [SubscriptionMessage] = []
        var ended = false
        do throws(SchedulerClientError) {
            hello = try SchedulerClient.greet(connection, clientName: clientName, timeout: timeout)
            let decoder = Wire.decoder()
            subscribed = try SchedulerClient.exchange(
                connection, id: 1, .subscribe, params, as: SubscribeResult.self,
                deadline: timeout.map { ContinuousClock.now + $0 }
            ) { (line, envelope) throws(SchedulerClientError) in
                // A scheduler replaying history may queue events before its answer; keep them.
                guard !ended, let message = try Self.message(from: line, envelope: envelope, decoder: decoder) else { return }
                early.append(message)
                if case .resync = message { ended = true }
            }
        } catch {
            connection.close()
            throw error
        }
        self.connection = connection
        state = Mutex(State(early: early))
    }

    deinit {
        connection.close()
    }

    /// Waits for the next message.
    ///
    /// - Parameter timeout: give up with ``SchedulerClientError/timedOut`` after this long; nil
    ///   waits for ever. A timeout leaves the subscription usable.
    /// - Returns: nil once the subscription ended (after a resync notice, or ``cancel()``).
    public func next(timeout: Duration? = nil) throws(SchedulerClientError) -> SubscriptionMessage? {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let queued = state.withLock { state -> SubscriptionMessage?? in
            precondition(state.mode != .streaming, "an EventSubscription read as an AsyncSequence cannot also be read with next(timeout:)")
            state.mode = .blocking
            if state.cancelled || (state.ended && state.early.isEmpty) { return .some(nil) }
            if !state.early.isEmpty { return .some(state.early.removeFirst()) }
            return nil
        }
        if let queued { return queued }
        let decoder = Wire.decoder()
        while true {
            let line: Data
            do throws(SchedulerClientError) {
                line = try connection.readLine(deadline: deadline)
            } catch {
                if state.withLock({ $0.cancelled }) { return nil }
                throw error
            }
            guard let message = try Self.message(from: line, decoder: decoder) else { continue }
            if case .resync = message {
                state.withLock { $0.ended = true }
                connection.close()
            }
            return message
        }
    }

    /// Ends the subscription and closes its connection. Any thread; idempotent.
    public func cancel() {
        let streaming = state.withLock { state -> Bool in
            state.cancelled = true
            return state.mode == .streaming
        }
        // Wakes a reader whether it waits in recv or for a permit; the reader thread closes the
        // socket itself on its way out.
        connection.shutdown()
        permits.signal()
        if !streaming { connection.close() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: SubscriptionMessage.self)
        let early = state.withLock { state -> [SubscriptionMessage] in
            precondition(state.mode == .unused, "an EventSubscription can be iterated once, and not after next(timeout:)")
            state.mode = .streaming
            defer { state.early = [] }
            return state.early
        }
        continuation.onTermination = { [weak self] _ in self?.cancel() }
        let thread = Thread { [self] in self.pump(early: early, into: continuation) }
        thread.name = "taskmon-events"
        thread.start()
        return AsyncIterator(base: stream.makeAsyncIterator(), permits: permits)
    }

    /// Iterates an ``EventSubscription``.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<SubscriptionMessage, any Error>.Iterator
        let permits: DispatchSemaphore

        public mutating func next() async throws -> SubscriptionMessage? {
            let message = try await base.next()
            if message != nil { permits.signal() }
            return message
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(any Error) -> SubscriptionMessage? {
            let message = try await base.next(isolation: actor)
            if message != nil { permits.signal() }
            return message
        }
    }

    /// The reader thread: socket → stream, at most `bufferLimit` messages ahead of the consumer.
    private func pump(early: [SubscriptionMessage], into continuation: AsyncThrowingStream<SubscriptionMessage, any Error>.Continuation) {
        defer { connection.close() }
        let decoder = Wire.decoder()
        var pending = early[...]
        while true {
            permits.wait()
            if state.withLock({ $0.cancelled }) {
                continuation.finish()
                return
            }
            let message: SubscriptionMessage
            if let first = pending.popFirst() {
                message = first
            } else {
                do throws(SchedulerClientError) {
                    let line = try connection.readLine()
                    guard let decoded = try Self.message(from: line, decoder: decoder) else {
                        permits.signal()
                        continue
                    }
                    message = decoded
                } catch {
                    if state.withLock({ $0.cancelled }) { continuation.finish() } else { continuation.finish(throwing: error) }
                    return
                }
            }
            if case .terminated = continuation.yield(message) { return }
            if case .resync = message {
                state.withLock { $0.ended = true }
                continuation.finish()
                return
            }
        }
    }

    /// Decodes a notification line; nil for anything that is not one we know (newer schedulers
    /// may send more kinds, and stray responses mean nothing here).
    static func message(from line: Data, decoder: JSONDecoder) throws(SchedulerClientError) -> SubscriptionMessage? {
        let envelope = try SchedulerClient.decodeLine(RPCEnvelope.self, from: line, decoder: decoder, what: "a notification")
        if envelope.id == nil, envelope.method == nil, let error = envelope.error { throw .rpc(error) }
        return try message(from: line, envelope: envelope, decoder: decoder)
    }

    static func message(from line: Data, envelope: RPCEnvelope, decoder: JSONDecoder) throws(SchedulerClientError) -> SubscriptionMessage? {
        guard envelope.id == nil else { return nil }
        switch envelope.method {
        case RPCNotificationName.event:
            let note = try SchedulerClient.decodeLine(RPCNotification<SchedulerEvent>.self, from: line, decoder: decoder, what: "an event")
            return .event(note.params)
        case RPCNotificationName.resync:
            let note = try SchedulerClient.decodeLine(RPCNotification<ResyncNotice>.self, from: line, decoder: decoder, what: "a resync notice")
            return .resync(note.params)
        default:
            return nil
        }
    }
}
