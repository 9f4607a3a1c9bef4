import TaskmonKit

/// Where an ``OutputDocument`` gets its bytes: one stream of one task, read by byte range.
///
/// Synchronous on purpose: the monitor's UI thread calls it directly, and a local read of a
/// few hundred KiB over the scheduler's socket takes about a millisecond. A document never asks
/// for more than ``OutputDocument/Configuration/searchReadLength`` bytes in one call.
package protocol OutputSource {
    /// Reads up to `length` bytes from `offset`.
    ///
    /// Fewer bytes than asked for is normal near the end, and none at or past it. The chunk
    /// also says how large the stream is now, and whether it will grow any more; as from the
    /// scheduler, `complete` may only be true when the read reached the end of the stream.
    func read(offset: Int64, length: Int) throws -> OutputChunk
}
