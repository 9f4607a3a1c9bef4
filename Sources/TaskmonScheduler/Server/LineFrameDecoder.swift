#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import TaskmonKit

/// Splits the inbound byte stream into lines (without the '\n').
///
/// A line longer than `maxLineBytes` is not buffered any further: the peer gets one JSON-RPC
/// error line (`id` null, code -32600) and the connection is closed, since once a line is cut
/// there is no way to find where the next request starts. Everything read after that is dropped.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let maxLineBytes: Int
    /// Before the peer said hello, lines may be this long at most: a stranger's first line
    /// cannot make us hold 64 MB.
    let maxLineBytesBeforeHello: Int
    /// Whether the peer has said hello (then `maxLineBytes` applies).
    private let greeted: @Sendable () -> Bool
    /// Bytes of unfinished lines all connections together may hold.
    private let budget: MemoryBudget?
    /// What this connection holds of `budget` now.
    private var charged = 0
    /// Bytes after the reader index already searched without finding a '\n', so that a long line
    /// arriving in many reads is scanned once, not once per read.
    private var scanned = 0
    private var refusing = false

    /// Lines before hello: a hello is well under a kilobyte.
    static let defaultMaxLineBytesBeforeHello = 64 << 10

    init(
        maxLineBytes: Int = Wire.maxLineBytes, maxLineBytesBeforeHello: Int = LineFrameDecoder.defaultMaxLineBytesBeforeHello,
        greeted: @escaping @Sendable () -> Bool = { true }, budget: MemoryBudget? = nil
    ) {
        self.maxLineBytes = maxLineBytes
        self.maxLineBytesBeforeHello = min(maxLineBytes, maxLineBytesBeforeHello)
        self.greeted = greeted
        self.budget = budget
    }

    mutating func decoderRemoved(context: ChannelHandlerContext) {
        release()
    }

    private mutating func release() {
        if charged > 0 { _ = budget?.charge(-charged) }
        charged = 0
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if refusing {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let limit = greeted() ? maxLineBytes : maxLineBytesBeforeHello
        let readable = buffer.readableBytes
        if let budget, readable != charged {
            guard budget.charge(readable - charged) else {
                refuse(context: context, buffer: &buffer, because: "the scheduler holds \(budget.limit >> 20) MiB of unfinished requests already; closing the connection, try again later")
                return .needMoreData
            }
            charged = readable
        }
        let newline: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard readable > scanned, let base = bytes.baseAddress else { return nil }
            guard let hit = memchr(base + scanned, Int32(UInt8(ascii: "\n")), readable - scanned) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let length = newline else {
            scanned = readable
            if readable > limit { refuse(context: context, buffer: &buffer, limit: limit) }
            return .needMoreData
        }
        if length > limit {
            refuse(context: context, buffer: &buffer, limit: limit)
            return .needMoreData
        }
        let line = buffer.readSlice(length: length)!
        buffer.moveReaderIndex(forwardBy: 1)
        scanned = 0
        context.fireChannelRead(Self.wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A peer that half-closed (shutdown SHUT_WR) after its last request still reads our
        // answers: an unterminated last line is taken as a request too.
        if seenEOF, !refusing, buffer.readableBytes > 0, buffer.readableBytes <= (greeted() ? maxLineBytes : maxLineBytesBeforeHello) {
            let line = buffer.readSlice(length: buffer.readableBytes)!
            context.fireChannelRead(Self.wrapInboundOut(line))
        }
        buffer.moveReaderIndex(to: buffer.writerIndex)
        release()
        return .needMoreData
    }

    private mutating func refuse(context: ChannelHandlerContext, buffer: inout ByteBuffer, limit: Int) {
        let before = limit < maxLineBytes ? " before hello" : ""
        refuse(context: context, buffer: &buffer, because: "request line longer than \(limit) bytes\(before); closing the connection")
    }

    private mutating func refuse(context: ChannelHandlerContext, buffer: inout ByteBuffer, because reason: String) {
        refusing = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        release()
        let line = ServerLines.error(.invalidRequest, reason)
        var out = context.channel.allocator.buffer(capacity: line.count + 1)
        out.writeBytes(line)
        out.writeInteger(UInt8(ascii: "\n"))
        let channel = context.channel
        // Closing at once would discard the error line if the socket could not take it yet.
        context.writeAndFlush(NIOAny(out)).whenComplete { _ in channel.close(promise: nil) }
    }
}
