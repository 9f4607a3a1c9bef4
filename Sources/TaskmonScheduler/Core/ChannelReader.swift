import Foundation
import TaskmonKit

/// Reads a task's channel file incrementally: while the task runs, and once more at exit.
///
/// Only complete lines are parsed while the task runs; the rest waits for the next read.
/// A hostile task cannot make the scheduler hold more than `maxLineBytes` of one line.
struct ChannelReader: Sendable {
    let path: String
    private(set) var offset: Int64 = 0
    private var partial = Data()
    private var skippingLongLine = false

    /// Set once the channel was refused (a link, a FIFO, a device): said once, then skipped.
    private var refused = false

    static let maxLineBytes = 16 << 20
    /// Bytes read per call, so one chatty task cannot stall the scheduler.
    static let maxReadBytes = 4 << 20
    /// Bytes the read at exit takes at most: a child left behind may keep appending.
    static let maxFinalReadBytes = 64 << 20

    init(path: String) {
        self.path = path
    }

    /// New records since the last call, and a warning for each line that could not be used.
    /// With `final`, a last line without a newline is parsed too.
    mutating func read(final: Bool) -> [Result<ChannelRecord, ChannelLineError>] {
        var results: [Result<ChannelRecord, ChannelLineError>] = []
        guard !refused else { return results }
        // Not `open`: a task may have replaced its channel with a FIFO (open would block the
        // scheduler for ever), a link to /dev/zero (endless zeros) or to a file it may not read.
        let file: SafeFile.Opened
        do throws(SafeFile.Refusal) {
            guard let opened = try SafeFile.openForReading(path) else { return results }
            file = opened
        } catch {
            refused = true
            results.append(.failure(ChannelLineError("the channel was not read: \(error.description)")))
            return results
        }
        let fd = file.fd
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        // Up to the size seen at open: a file that grows while we read waits for the next call.
        var budget = Int(min(Int64(final ? Self.maxFinalReadBytes : Self.maxReadBytes), max(0, file.size - offset)))
        while budget > 0 {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, min($0.count, budget), off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            offset += Int64(n)
            budget -= n
            consume(buffer[0..<n], into: &results)
        }
        if final && !partial.isEmpty && !skippingLongLine {
            results.append(Self.parse(partial))
            partial.removeAll()
        }
        return results
    }

    private mutating func consume(_ bytes: ArraySlice<UInt8>, into results: inout [Result<ChannelRecord, ChannelLineError>]) {
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if skippingLongLine {
                skippingLongLine = false
            } else {
                partial.append(contentsOf: bytes[start..<newline])
                if !partial.isEmpty { results.append(Self.parse(partial)) }
            }
            partial.removeAll(keepingCapacity: true)
            start = newline + 1
        }
        guard !skippingLongLine else { return }
        partial.append(contentsOf: bytes[start...])
        if partial.count > Self.maxLineBytes {
            results.append(.failure(ChannelLineError("a channel line longer than \(Self.maxLineBytes >> 20) MiB was ignored")))
            partial.removeAll()
            skippingLongLine = true
        }
    }

    private static func parse(_ line: Data) -> Result<ChannelRecord, ChannelLineError> {
        let text = String(decoding: line, as: UTF8.self)
        let trimmed = text.hasSuffix("\r") ? Substring(text.dropLast()) : Substring(text)
        do {
            return .success(try ChannelRecord.parse(line: trimmed))
        } catch {
            return .failure(error)
        }
    }
}
