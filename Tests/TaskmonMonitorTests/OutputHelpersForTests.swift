import Foundation
@testable import TaskmonMonitor

/// Small sizes so a few hundred bytes cross blocks, pieces and search chunks.
func tinyConfiguration(lineCap: Int = 8, blockSize: Int = 16) -> OutputDocument.Configuration {
    var configuration = OutputDocument.Configuration()
    configuration.lineCap = lineCap
    configuration.blockSize = blockSize
    configuration.cacheBytes = 16 * blockSize
    configuration.minimumReadBytes = blockSize
    configuration.searchReadLength = 32
    configuration.searchBytesPerStep = 1 << 20
    // A step is bounded by bytes here, not by the clock: on a loaded machine 40 ms may pass
    // within a few lines, and the tests expect one call to find a match in their small texts.
    configuration.searchTimePerStep = .seconds(3600)
    return configuration
}

/// Wrap at `width` columns, one column per byte; an empty line takes one row.
func wrapped(width: Int, height: Int) -> OutputLayout {
    OutputLayout(height: height) { max(1, ($0.count + width - 1) / width) }
}

extension OutputViewport {
    /// The lines as text, for readable expectations.
    var texts: [String] { lines.map { String(decoding: $0.bytes, as: UTF8.self) } }
}

/// Every segment of a stream, by walking the document's segmenter from the start.
func segmentsByWalking(_ document: OutputDocument) throws -> [OutputSegment] {
    try document.cache.refresh()
    var result: [OutputSegment] = []
    var start: Int64 = 0
    while start < document.size {
        let segment = try document.segmenter.segment(at: start)
        result.append(segment)
        start = segment.next
    }
    return result
}

/// The segmentation rule written out plainly over the whole stream, to check the segmenter
/// (which only ever looks at a window) against.
func referenceSegments(_ bytes: [UInt8], cap: Int) -> [(start: Int, content: [UInt8], isContinuation: Bool, continues: Bool)] {
    let newline = UInt8(ascii: "\n")
    func isStart(_ p: Int) -> Bool {
        if p == 0 { return true }
        if bytes[p - 1] == newline { return true }
        return p % cap == 0 && p >= cap && bytes[p] != newline && !bytes[(p - cap)..<p].contains(newline)
    }
    let starts = (0..<bytes.count).filter(isStart)
    return starts.enumerated().map { index, start in
        let next = index + 1 < starts.count ? starts[index + 1] : bytes.count
        var content = Array(bytes[start..<next])
        var terminated = false
        if content.last == newline {
            content.removeLast()
            terminated = true
            if content.last == UInt8(ascii: "\r") { content.removeLast() }
        }
        let continues = !terminated && next < bytes.count
        return (start, content, start > 0 && bytes[start - 1] != newline, continues)
    }
}

/// A deterministic generator, so a failing random case fails the same way again.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random output: short and long lines, empty ones, CRLFs and lone CRs, maybe no final newline.
func randomStream(_ generator: inout SeededGenerator, length: Int) -> [UInt8] {
    var bytes: [UInt8] = []
    while bytes.count < length {
        let lineLength = Bool.random(using: &generator) ? Int.random(in: 0..<6, using: &generator)
                                                         : Int.random(in: 0..<40, using: &generator)
        for _ in 0..<lineLength {
            bytes.append(Int.random(in: 0..<10, using: &generator) == 0 ? UInt8(ascii: "\r")
                                                                       : UInt8.random(in: 97...100, using: &generator))
        }
        if Int.random(in: 0..<5, using: &generator) == 0 { bytes.append(UInt8(ascii: "\r")) }
        bytes.append(UInt8(ascii: "\n"))
    }
    if Bool.random(using: &generator) { bytes.removeLast() }
    return bytes
}

/// A scratch directory removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("taskmon-output-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
