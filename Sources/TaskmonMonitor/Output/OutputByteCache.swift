import TaskmonKit

/// The bytes of one stream as far as they were read: a bounded LRU cache of aligned blocks,
/// and what the source last said about the stream's size and completeness.
///
/// Everything a document shows comes through here, so a 1 GiB stream costs only the blocks
/// around what is on screen. Reads of missing blocks are batched into one source call per run,
/// widened towards where the caller is heading so the next step is usually a hit.
final class OutputByteCache {
    /// Which way a scan goes, so a miss reads ahead on the side the next access will want.
    enum Direction { case forward, backward }

    /// A read showed that the stream is no longer the one cached: it shrank, or finished and
    /// then changed (a retry restarted the output). Everything cached is wrong now.
    struct Restarted: Error {}

    /// The source returned fewer bytes than its own size promised.
    struct ShortRead: Error, CustomStringConvertible {
        var description: String { "the output source returned less than it said it had" }
    }

    private struct Block {
        var bytes: [UInt8]
        var lastUse: UInt64
    }

    let source: any OutputSource
    let blockSize: Int
    private let capacityBlocks: Int
    private let minimumReadBlocks: Int

    /// The stream's size at the last read.
    private(set) var size: Int64 = 0
    /// The source said the stream will not grow.
    private(set) var isComplete = false
    /// Nothing was read yet: `size` means nothing.
    private(set) var hasRead = false
    /// What the last failed read threw; cleared by the next read that works.
    private(set) var failure: (any Error)?

    private var blocks: [Int64: Block] = [:]
    private var clock: UInt64 = 0

    init(source: any OutputSource, blockSize: Int, capacityBytes: Int, minimumReadBytes: Int) {
        precondition(blockSize > 0)
        self.source = source
        self.blockSize = blockSize
        self.capacityBlocks = max(4, capacityBytes / blockSize)
        self.minimumReadBlocks = max(1, min(minimumReadBytes / blockSize, capacityBlocks / 4))
    }

    /// Bytes held in memory now.
    var cachedBytes: Int { blocks.values.reduce(0) { $0 + $1.bytes.count } }

    /// Keeps `error` as the reason the last access failed.
    func noteFailure(_ error: any Error) { failure = error }

    /// Forgets everything, as if nothing had been read.
    func clear() {
        blocks.removeAll()
        size = 0
        isComplete = false
        hasRead = false
    }

    // MARK: Reading from the source

    /// Reads straight from the source without caching (search sweeps through far more than the
    /// cache holds), keeping size and completeness up to date.
    func readUncached(offset: Int64, length: Int) throws -> [UInt8] {
        let chunk: OutputChunk
        do {
            chunk = try source.read(offset: offset, length: length)
        } catch {
            failure = error
            throw error
        }
        failure = nil
        try note(chunk, offset: offset)
        return [UInt8](chunk.data)
    }

    private func note(_ chunk: OutputChunk, offset: Int64) throws {
        let reachedEnd = offset + Int64(chunk.data.count) >= chunk.size
        if hasRead {
            // A finished stream that changes, or any stream that shrinks, is a new attempt's output.
            if chunk.size < size { throw Restarted() }
            if isComplete && (chunk.size != size || (reachedEnd && !chunk.complete)) { throw Restarted() }
        }
        hasRead = true
        size = chunk.size
        if reachedEnd { isComplete = chunk.complete }
    }

    /// Learns the stream's size now by re-reading its last (partial) block; loads the first
    /// block when nothing was read yet.
    func refresh() throws {
        let index = size / Int64(blockSize)
        try readRun(first: index, count: 1)
    }

    // MARK: Access

    /// Makes sure the blocks covering `range` (clipped to the stream) are loaded and current.
    func load(_ range: Range<Int64>, towards direction: Direction) throws {
        if !hasRead { try refresh() }
        let lower = max(0, range.lowerBound)
        let upper = min(size, range.upperBound)
        guard lower < upper else { return }
        let first = lower / Int64(blockSize)
        let last = (upper - 1) / Int64(blockSize)
        var index = first
        while index <= last {
            if isCurrent(index) {
                touch(index)
                index += 1
                continue
            }
            var end = index + 1
            while end <= last && !isCurrent(end) { end += 1 }
            // Widen the run over missing blocks towards where the scan goes next.
            var start = index
            let lastBlock = max(0, (size - 1) / Int64(blockSize))
            while end - start < Int64(minimumReadBlocks) {
                if direction == .backward, start > 0, !isCurrent(start - 1) {
                    start -= 1
                } else if direction == .forward, end <= lastBlock, !isCurrent(end) {
                    end += 1
                } else {
                    break
                }
            }
            try readRun(first: start, count: Int(end - start))
            index = max(index + 1, end)
        }
        evict()
    }

    /// The byte at `offset`, which must be inside the stream.
    func byte(at offset: Int64) throws -> UInt8 {
        let index = offset / Int64(blockSize)
        let within = Int(offset - index * Int64(blockSize))
        if let block = blocks[index], within < block.bytes.count {
            return block.bytes[within]
        }
        try load(offset..<offset + 1, towards: .forward)
        return try withBlock(index) { $0[within] }
    }

    /// The bytes of `range`, clipped to the stream.
    func bytes(_ range: Range<Int64>) throws -> [UInt8] {
        try load(range, towards: .forward)
        let upper = min(range.upperBound, size)
        var result: [UInt8] = []
        result.reserveCapacity(Int(max(0, upper - range.lowerBound)))
        try forEachPiece(range.lowerBound..<max(range.lowerBound, upper), backward: false) { piece, _ in
            result.append(contentsOf: piece)
            return false
        }
        return result
    }

    /// Where `byte` first occurs in `range`, if it does.
    func firstIndex(of byte: UInt8, in range: Range<Int64>) throws -> Int64? {
        try load(range, towards: .forward)
        var found: Int64?
        try forEachPiece(range.lowerBound..<min(range.upperBound, max(range.lowerBound, size)), backward: false) { piece, base in
            guard let i = piece.firstIndex(of: byte) else { return false }
            found = base + Int64(i - piece.startIndex)
            return true
        }
        return found
    }

    /// Where `byte` last occurs in `range`, if it does.
    func lastIndex(of byte: UInt8, in range: Range<Int64>) throws -> Int64? {
        try load(range, towards: .backward)
        var found: Int64?
        try forEachPiece(range.lowerBound..<min(range.upperBound, max(range.lowerBound, size)), backward: true) { piece, base in
            guard let i = piece.lastIndex(of: byte) else { return false }
            found = base + Int64(i - piece.startIndex)
            return true
        }
        return found
    }

    // MARK: Blocks

    /// A block holds everything the stream has in its span (it was read after the stream grew past it).
    private func isCurrent(_ index: Int64) -> Bool {
        guard let block = blocks[index] else { return false }
        let wanted = min(Int64(blockSize), size - index * Int64(blockSize))
        return Int64(block.bytes.count) >= wanted
    }

    private func touch(_ index: Int64) {
        clock += 1
        blocks[index]?.lastUse = clock
    }

    private func readRun(first: Int64, count: Int) throws {
        let offset = first * Int64(blockSize)
        let data = try readUncached(offset: offset, length: count * blockSize)
        var start = 0
        var index = first
        while start < data.count {
            let end = min(data.count, start + blockSize)
            clock += 1
            blocks[index] = Block(bytes: Array(data[start..<end]), lastUse: clock)
            start = end
            index += 1
        }
    }

    /// Drops the least recently used blocks beyond capacity. Blocks of the access in progress
    /// were touched last, and capacity exceeds any one access, so they stay.
    private func evict() {
        let excess = blocks.count - capacityBlocks
        guard excess > 0 else { return }
        let oldest = blocks.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(excess)
        for (index, _) in oldest { blocks[index] = nil }
    }

    private func withBlock<T>(_ index: Int64, _ body: ([UInt8]) -> T) throws -> T {
        guard let block = blocks[index] else { throw ShortRead() }
        return body(block.bytes)
    }

    /// Calls `body` with the loaded bytes of `range` block by block, in order or in reverse,
    /// until it returns true.
    private func forEachPiece(_ range: Range<Int64>, backward: Bool,
                              _ body: (ArraySlice<UInt8>, Int64) -> Bool) throws {
        guard !range.isEmpty else { return }
        let first = range.lowerBound / Int64(blockSize)
        let last = (range.upperBound - 1) / Int64(blockSize)
        for index in backward ? Array(stride(from: last, through: first, by: -1)) : Array(first...last) {
            let blockStart = index * Int64(blockSize)
            let lower = Int(max(range.lowerBound, blockStart) - blockStart)
            let upper = Int(min(range.upperBound, blockStart + Int64(blockSize)) - blockStart)
            guard let block = blocks[index], block.bytes.count >= upper else { throw ShortRead() }
            if body(block.bytes[lower..<upper], blockStart + Int64(lower)) { return }
        }
    }
}
