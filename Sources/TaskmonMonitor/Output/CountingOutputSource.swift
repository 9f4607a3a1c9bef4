import TaskmonKit

/// Wraps a source and counts what was read through it: how the benchmark and the tests check
/// that a document reads only what it shows.
package final class CountingOutputSource<Base: OutputSource>: OutputSource {
    /// The source read through.
    package let base: Base
    /// Bytes returned so far.
    package private(set) var bytesRead: Int64 = 0
    /// Calls made so far.
    package private(set) var reads = 0

    /// Counts the reads of `base`.
    package init(_ base: Base) { self.base = base }

    package func read(offset: Int64, length: Int) throws -> OutputChunk {
        reads += 1
        let chunk = try base.read(offset: offset, length: length)
        bytesRead += Int64(chunk.data.count)
        return chunk
    }

    /// Starts counting from zero.
    package func resetCounts() {
        bytesRead = 0
        reads = 0
    }
}
