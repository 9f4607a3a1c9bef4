import Foundation
import NIOCore
import Synchronization
import TaskmonKit

/// One accepted client connection, as the scheduler sees it: who it is, and a way to push lines.
///
/// Outbound lines go through a small queue owned by this object rather than straight to the
/// channel, so that `send` is cheap and callable from any thread or actor: it appends under a lock
/// and, only when the queue was empty, schedules one task on the event loop that writes the whole
/// batch and flushes once. Streaming thousands of notifications a second thus costs one event-loop
/// hop and one `writev` per batch, not per line.
///
/// Bytes are counted from `send` until the kernel took them (the write promise), which is what
/// lets `send` refuse instead of letting a subscriber that does not read grow our memory.
package final class ServerConnection: Sendable, Hashable {
    /// Unique among the connections of one server.
    package let id: Int
    /// Who connected (always our own uid: others are refused before a handler sees them).
    package let peer: PeerIdentity
    /// `send` refuses a line that would take the queued-but-unwritten bytes past this.
    package let outboundLimit: Int

    let channel: Channel
    private let allocator = ByteBufferAllocator()
    private let state = Mutex(OutboundState())

    /// Requests read but not yet answered, beyond which we stop reading the socket: a client
    /// that pipelines without limit then waits in its own send buffer, not in our memory.
    static let maxPendingRequests = 16

    /// Queued-but-unwritten bytes of all connections together; nil: no shared bound.
    private let sharedOutbound: MemoryBudget?
    private let greetedFlag = Mutex(false)

    /// Marks that the peer said hello with a version we speak: longer lines may follow.
    package func markGreeted() { greetedFlag.withLock { $0 = true } }

    /// Whether ``markGreeted()`` was called.
    package var isGreeted: Bool { greetedFlag.withLock { $0 } }

    private struct OutboundState {
        var queued = 0
        var batch: [ByteBuffer] = []
        var closed = false
        var pendingRequests = 0
        var readOutstanding = false
    }

    init(id: Int, peer: PeerIdentity, channel: Channel, outboundLimit: Int, sharedOutbound: MemoryBudget? = nil) {
        self.sharedOutbound = sharedOutbound
        self.id = id
        self.peer = peer
        self.channel = channel
        self.outboundLimit = outboundLimit
    }

    /// Queues one line (a '\n' is appended) for writing, from any thread, without blocking.
    ///
    /// Returns false — and queues nothing — when the line would take the queued-but-unwritten
    /// bytes past ``outboundLimit`` (a reader that fell behind), or when the connection is closed.
    /// A line is always accepted into an empty queue, however long. The caller decides what to do
    /// on false; the scheduler sends a resync notice with ``sendUnconditionally(_:)`` and stops
    /// streaming to this connection.
    @discardableResult
    package func send(_ line: Data) -> Bool {
        enqueue(line, limited: true)
    }

    /// Queues one line whatever is already queued: for responses, and for the one resync notice
    /// that tells a slow subscriber why its stream stopped. Dropped silently once closed.
    package func sendUnconditionally(_ line: Data) {
        _ = enqueue(line, limited: false)
    }

    /// Closes the connection; queued lines not yet written are dropped. Any thread.
    package func close() {
        channel.close(promise: nil)
    }

    /// Bytes accepted by `send`/`sendUnconditionally` that the kernel has not yet taken.
    package var queuedBytes: Int {
        state.withLock { $0.queued }
    }

    /// True once the connection is closed (either side) or the server is stopping.
    package var isClosed: Bool {
        state.withLock { $0.closed }
    }

    package static func == (lhs: ServerConnection, rhs: ServerConnection) -> Bool { lhs === rhs }
    package func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }

    // MARK: - Outbound

    private func enqueue(_ line: Data, limited: Bool) -> Bool {
        let size = line.count + 1
        var buffer = allocator.buffer(capacity: size)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        return state.withLock { state in
            if state.closed { return false }
            if limited, state.queued > 0, state.queued + size > outboundLimit { return false }
            // All subscribers together are bounded too: one that never reads is told to resync
            // sooner when many do the same. Responses always go (their requests are paced).
            if let sharedOutbound, !sharedOutbound.charge(size, force: !limited || state.queued == 0) { return false }
            state.queued += size
            state.batch.append(buffer)
            if state.batch.count == 1 {
                // Scheduled under the lock: `markClosed` takes the same lock before the event loop
                // group shuts down, so we never hand a task to a loop that is gone.
                channel.eventLoop.execute { self.writeBatch() }
            }
            return true
        }
    }

    /// On the event loop: writes everything queued so far and flushes once.
    private func writeBatch() {
        let batch = state.withLock { state in
            let batch = state.batch
            state.batch = []
            return batch
        }
        guard let last = batch.last else { return }
        let bytes = batch.reduce(0) { $0 + $1.readableBytes }
        for buffer in batch.dropLast() {
            channel.write(buffer, promise: nil)
        }
        // Writes complete in order, so the last one's promise covers the batch; it also completes
        // (failed) when the channel closes with the batch unwritten.
        let promise = channel.eventLoop.makePromise(of: Void.self)
        channel.write(last, promise: promise)
        channel.flush()
        promise.futureResult.whenComplete { _ in
            _ = self.sharedOutbound?.charge(-bytes)
            let resume = self.state.withLock { state -> Bool in
                state.queued -= bytes
                return self.shouldRead(&state)
            }
            if resume { self.channel.read() }
        }
    }

    // MARK: - Inbound flow control (reads are manual: autoRead is off)

    /// Whether to ask the channel for more bytes now; marks the read as outstanding if so.
    private func shouldRead(_ state: inout OutboundState) -> Bool {
        guard !state.closed, !state.readOutstanding,
              state.pendingRequests < Self.maxPendingRequests,
              state.queued <= outboundLimit
        else { return false }
        state.readOutstanding = true
        return true
    }

    /// Event loop: the channel became active, or finished delivering one read.
    func readCompleted() -> Bool {
        state.withLock { state in
            state.readOutstanding = false
            return shouldRead(&state)
        }
    }

    /// Event loop: a complete request line was handed to the request task.
    func requestArrived() {
        state.withLock { $0.pendingRequests += 1 }
    }

    /// Request task: one request was answered; reading may resume.
    func requestFinished() {
        state.withLock { state in
            state.pendingRequests -= 1
            if shouldRead(&state) {
                let channel = self.channel
                channel.eventLoop.execute { channel.read() }
            }
        }
    }

    /// Stops all further scheduling onto the event loop. Called when the channel goes inactive and
    /// by `SocketServer.stop()` before the loop shuts down.
    func markClosed() {
        state.withLock { $0.closed = true }
    }
}

/// The per-connection pipeline end: hands request lines, in order, to one task that calls the
/// `ConnectionHandler`, and tells the handler when the connection is gone.
///
/// Requests run one at a time: the next line is handled after the previous answer was queued.
/// `connectionClosed` comes after the last `handle` call for this connection returned, so a
/// subscription registered while the connection was closing is still dropped.
final class RequestChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ServerConnection
    private let lines: AsyncStream<Data>.Continuation
    private let onClosed: @Sendable (ServerConnection) -> Void
    private var finished = false

    init(connection: ServerConnection, handler: ConnectionHandler, onClosed: @escaping @Sendable (ServerConnection) -> Void) {
        self.connection = connection
        self.onClosed = onClosed
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self)
        self.lines = continuation
        Task {
            for await line in stream {
                // Lines still buffered when the peer went away have nobody to answer to.
                if connection.isClosed { continue }
                if let response = await handler.handle(line: line, connection: connection) {
                    connection.sendUnconditionally(response)
                }
                connection.requestFinished()
            }
            // The stream also ends when the peer half-closed (SHUT_WR) after its last request:
            // its answers are written before we close our side too.
            if !connection.isClosed {
                for _ in 0..<1000 where connection.queuedBytes > 0 && !connection.isClosed {
                    try? await Task.sleep(for: .milliseconds(5))
                }
                connection.close()
            }
            await handler.connectionClosed(connection)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        if connection.readCompleted() { context.read() }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = Self.unwrapInboundIn(data)
        connection.requestArrived()
        lines.yield(Data(line.readableBytesView))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        if connection.readCompleted() { context.read() }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            // Half-closed: no more requests, but the ones read are still answered.
            lines.finish()
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        // Covers a channel that never became active (it will not see channelInactive).
        finish()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset or a failed write: nothing to recover, and the handler learns of it through
        // connectionClosed.
        context.close(promise: nil)
    }

    private func finish() {
        guard !finished else { return }
        finished = true
        connection.markClosed()
        lines.finish()
        onClosed(connection)
    }
}

/// Answers a peer whose uid is not ours with one error line, then closes. Nothing it sends is read.
final class RefusingChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let line: Data

    init(line: Data) {
        self.line = line
    }

    func channelActive(context: ChannelHandlerContext) {
        var buffer = context.channel.allocator.buffer(capacity: line.count + 1)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
