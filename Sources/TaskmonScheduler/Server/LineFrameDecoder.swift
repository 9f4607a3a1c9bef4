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
    /// Bytes after the reader index already searched without finding a '\n', so that a long line
    /// arriving in many reads is scanned once, not once per read.
    private var scanned = 0
    private var refusing = false

    init(maxLineBytes: Int = Wire.maxLineBytes) {
        self.maxLineBytes = maxLineBytes
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if refusing {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let readable = buffer.readableBytes
        let newline: Int? = buffer.withUnsafeReadableBytes { bytes in
            guard readable > scanned, let base = bytes.baseAddress else { return nil }
            guard let hit = memchr(base + scanned, Int32(UInt8(ascii: "\n")), readable - scanned) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit))
        }
        guard let length = newline else {
            scanned = readable
            if readable > maxLineBytes { refuse(context: context, buffer: &buffer) }
            return .needMoreData
        }
        if length > maxLineBytes {
            refuse(context: context, buffer: &buffer)
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
        // An unterminated tail is not a request: the peer is gone and could not read an answer.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    private mutating func refuse(context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        refusing = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        let line = ServerLines.error(.invalidRequest, "request line longer than \(maxLineBytes) bytes; closing the connection")
        var out = context.channel.allocator.buffer(capacity: line.count + 1)
        out.writeBytes(line)
        out.writeInteger(UInt8(ascii: "\n"))
        let channel = context.channel
        // Closing at once would discard the error line if the socket could not take it yet.
        context.writeAndFlush(NIOAny(out)).whenComplete { _ in channel.close(promise: nil) }
    }
}
