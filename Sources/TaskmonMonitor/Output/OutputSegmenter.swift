/// One displayed line: a whole line of the stream, or a piece of one too long to show whole.
struct OutputSegment: Equatable {
    /// Offset of the first byte.
    var start: Int64
    /// End of the bytes shown: before the newline, and before a `\r` that precedes it.
    var contentEnd: Int64
    /// Where the next segment starts (`size` at the end of the stream).
    var next: Int64
    /// Starts inside a line: the segment before was cut.
    var isContinuation: Bool
    /// The line goes on in the next segment.
    var continues: Bool
}

/// Splits a stream into segments: lines at `\n`, and lines longer than the cap cut into pieces.
///
/// Cuts fall at multiples of `cap` (absolute stream offsets), at one only when the `cap` bytes
/// before it hold no newline and it is not itself a newline. So whether an offset starts a
/// segment depends only on bytes near it: the segment holding any offset is found by scanning
/// back at most `2 × cap` bytes, a 1 GiB line without a newline included, and the stream growing
/// never moves a boundary. Lines shorter than `cap` are never cut; pieces are `cap` to `2 × cap`
/// bytes long.
struct OutputSegmenter {
    let bytes: OutputByteCache
    let cap: Int

    private static let newline = UInt8(ascii: "\n")
    private static let carriageReturn = UInt8(ascii: "\r")

    /// The segment starting at `start`, which must be a segment start before the stream's end.
    func segment(at start: Int64) throws -> OutputSegment {
        let size = bytes.size
        let cap = Int64(cap)
        // The first multiple of cap at least cap past the start: the only place a cut may fall.
        let cut = (start + cap + cap - 1) / cap * cap
        let isContinuation = try start > 0 && bytes.byte(at: start - 1) != Self.newline
        // One more byte than the span, to see whether the cut itself is a newline.
        try bytes.load(start..<min(size, cut + 1), towards: .forward)
        if let newline = try bytes.firstIndex(of: Self.newline, in: start..<min(size, cut)) {
            return try terminated(start, newline, isContinuation)
        }
        guard cut < size else {
            return OutputSegment(start: start, contentEnd: size, next: size, isContinuation: isContinuation, continues: false)
        }
        if try bytes.byte(at: cut) == Self.newline {
            return try terminated(start, cut, isContinuation)
        }
        return OutputSegment(start: start, contentEnd: cut, next: cut, isContinuation: isContinuation, continues: true)
    }

    private func terminated(_ start: Int64, _ newline: Int64, _ isContinuation: Bool) throws -> OutputSegment {
        var end = newline
        if end > start, try bytes.byte(at: end - 1) == Self.carriageReturn { end -= 1 }
        return OutputSegment(start: start, contentEnd: end, next: newline + 1, isContinuation: isContinuation, continues: false)
    }

    /// The start of the segment that holds `offset` (a newline belongs to the segment it ends).
    func start(containing offset: Int64) throws -> Int64 {
        let cap = Int64(cap)
        var cut = offset / cap * cap
        if cut == offset, cut > 0, try bytes.byte(at: offset) == Self.newline {
            // A newline never starts a piece: the segment began earlier.
            cut -= cap
        }
        let low = max(0, cut - cap)
        if let newline = try bytes.lastIndex(of: Self.newline, in: low..<offset) {
            return newline + 1
        }
        // No newline in the cap bytes before `cut`, nor up to `offset`: `cut` is a cut (or 0).
        return cut >= cap ? cut : 0
    }

    /// The start of the segment before the one starting at `start` (> 0).
    func start(before start: Int64) throws -> Int64 {
        try self.start(containing: start - 1)
    }
}
