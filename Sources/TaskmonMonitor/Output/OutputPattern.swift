#if canImport(Glibc)
import Glibc
#endif

/// A search string matched as bytes, ignoring ASCII case: output is raw bytes in no promised
/// encoding, so only ASCII letters fold, and any other byte must match exactly.
///
/// Candidates are found with `memchr` on one byte of the pattern (both cases of it if it is a
/// letter), picked to be rare in typical output, so a search runs near memory speed and is only
/// as slow as the candidates it must check.
struct OutputPattern: Equatable {
    /// The pattern, ASCII letters lowered.
    let folded: [UInt8]
    /// Which byte of the pattern `memchr` looks for.
    private let anchor: Int
    /// That byte in lower and upper case (the same twice if it is not a letter).
    private let anchorBytes: (lower: UInt8, upper: UInt8)

    /// nil for an empty string.
    init?(_ text: String) {
        guard !text.isEmpty else { return nil }
        let folded = Array(text.utf8).map(Self.fold)
        let anchor = folded.indices.min { Self.commonness(folded[$0]) < Self.commonness(folded[$1]) } ?? 0
        let byte = folded[anchor]
        self.folded = folded
        self.anchor = anchor
        anchorBytes = (byte, Self.isLowerLetter(byte) ? byte - 0x20 : byte)
    }

    static func == (a: OutputPattern, b: OutputPattern) -> Bool { a.folded == b.folded }

    var count: Int { folded.count }

    static func fold(_ byte: UInt8) -> UInt8 {
        byte &- UInt8(ascii: "A") < 26 ? byte | 0x20 : byte
    }

    private static func isLowerLetter(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "a") < 26 }

    /// How often a byte turns up in logs, roughly; letters cost two scans.
    private static func commonness(_ byte: UInt8) -> Int {
        if " etaoinsr".utf8.contains(byte) { return 3 }
        if isLowerLetter(byte) || byte &- UInt8(ascii: "0") < 10 { return 2 }
        return 1
    }

    /// The first match in `bytes` starting before `startLimit` (relative to `bytes.startIndex`).
    func firstMatch(in bytes: ArraySlice<UInt8>, startLimit: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            folded.withUnsafeBufferPointer { pattern in
                firstMatch(buffer, pattern, from: 0, startLimit: min(startLimit, buffer.count - pattern.count + 1))
            }
        }
    }

    /// The last match in `bytes` starting before `startLimit` (relative to `bytes.startIndex`).
    func lastMatch(in bytes: ArraySlice<UInt8>, startLimit: Int) -> Int? {
        bytes.withUnsafeBufferPointer { buffer in
            folded.withUnsafeBufferPointer { pattern in
                // Forward through the slice: `memchr` is fast, and a search chunk is small.
                let limit = min(startLimit, buffer.count - pattern.count + 1)
                var last: Int?
                var from = 0
                while let found = firstMatch(buffer, pattern, from: from, startLimit: limit) {
                    last = found
                    from = found + 1
                }
                return last
            }
        }
    }

    /// Every match in `bytes`, not overlapping, as ranges relative to `bytes.startIndex`.
    func allMatches(in bytes: ArraySlice<UInt8>) -> [Range<Int>] {
        bytes.withUnsafeBufferPointer { buffer in
            folded.withUnsafeBufferPointer { pattern in
                let limit = buffer.count - pattern.count + 1
                var result: [Range<Int>] = []
                var from = 0
                while let found = firstMatch(buffer, pattern, from: from, startLimit: limit) {
                    result.append(found..<found + pattern.count)
                    from = found + pattern.count
                }
                return result
            }
        }
    }

    /// The first match starting in `from..<startLimit`.
    private func firstMatch(_ buffer: UnsafeBufferPointer<UInt8>, _ pattern: UnsafeBufferPointer<UInt8>,
                            from: Int, startLimit: Int) -> Int? {
        guard from < startLimit, let base = buffer.baseAddress else { return nil }
        // The anchor byte of a match starting at s is at s + anchor.
        let end = startLimit + anchor
        func next(_ byte: UInt8, after position: Int) -> Int {
            guard position < end, let found = memchr(base + position, Int32(byte), end - position) else { return end }
            return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        var nextLower = next(anchorBytes.lower, after: from + anchor)
        var nextUpper = anchorBytes.upper == anchorBytes.lower ? end : next(anchorBytes.upper, after: from + anchor)
        while true {
            let position = min(nextLower, nextUpper)
            guard position < end else { return nil }
            let start = position - anchor
            if matches(buffer, at: start, pattern) { return start }
            if nextLower == position { nextLower = next(anchorBytes.lower, after: position + 1) }
            if nextUpper == position { nextUpper = next(anchorBytes.upper, after: position + 1) }
        }
    }

    private func matches(_ buffer: UnsafeBufferPointer<UInt8>, at start: Int, _ pattern: UnsafeBufferPointer<UInt8>) -> Bool {
        var j = 0
        while j < pattern.count {
            guard Self.fold(buffer[start + j]) == pattern[j] else { return false }
            j += 1
        }
        return true
    }
}
