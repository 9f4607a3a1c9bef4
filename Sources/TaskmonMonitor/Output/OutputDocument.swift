/// The model behind the task detail's Output and Errors tabs: a pager over one stream of a
/// task's output, which may be huge, may grow while the task runs, and may hold lines of any
/// length.
///
/// Positions are byte offsets; the document reads only around what it shows (through a
/// bounded block cache), so opening a 1 GiB stream at its end reads a few hundred KiB. Not
/// thread-safe: the UI uses it from one thread, and every call may read from the source.
///
/// Reading errors never throw out of here: they become ``errorMessage``, and what was loaded
/// stays on screen. A stream that shrinks or changes after it was complete (a retry restarted
/// the output) resets the document.
package final class OutputDocument {
    /// Sizes that trade memory for reads.
    package struct Configuration: Sendable {
        /// Lines longer than this are shown in pieces of `lineCap` to `2 × lineCap` bytes, so a
        /// line without end costs no more to draw or scroll than a long one.
        package var lineCap = 32 << 10
        /// The unit the cache reads and keeps.
        package var blockSize = 64 << 10
        /// Memory the cache may hold.
        package var cacheBytes = 8 << 20
        /// The least one read from the source asks for on a miss (a tail of 256 KiB opens the end).
        package var minimumReadBytes = 256 << 10
        /// Bytes one search call looks through at most before it returns to let the UI draw.
        package var searchBytesPerStep: Int64 = 64 << 20
        /// Time one search call may take before it returns (checked between reads), so a slow
        /// build or a slow source keeps the UI responsive.
        package var searchTimePerStep: Duration = .milliseconds(40)
        /// Bytes one search read asks for.
        package var searchReadLength = 4 << 20

        /// The defaults: sized for a 1 GiB stream opened at its end in well under 100 ms.
        package init() {}
    }

    /// A position in the stream at row granularity: a segment start and a wrapped row in it.
    struct Anchor: Comparable {
        var start: Int64
        var row: Int

        static let top = Anchor(start: 0, row: 0)

        static func < (a: Anchor, b: Anchor) -> Bool {
            (a.start, a.row) < (b.start, b.row)
        }
    }

    /// The sizes this document was opened with.
    package let configuration: Configuration
    let cache: OutputByteCache
    let segmenter: OutputSegmenter

    /// The top of the pane. While following it is recomputed from the end on every viewport.
    var anchor = Anchor.top
    /// What the last viewport showed: first line's start up to where the line after it starts.
    var visibleRange: Range<Int64>?
    /// Shown again when reading fails, so the screen keeps what it had.
    var lastViewport = OutputViewport()
    var searchState = OutputSearchState()

    /// The view stays at the end as the stream grows.
    package internal(set) var isFollowing: Bool

    /// Opens a document on `source`; nothing is read until it is first shown or refreshed.
    package init(source: any OutputSource, following: Bool = false, configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.isFollowing = following
        cache = OutputByteCache(source: source, blockSize: configuration.blockSize,
                                capacityBytes: configuration.cacheBytes,
                                minimumReadBytes: configuration.minimumReadBytes)
        segmenter = OutputSegmenter(bytes: cache, cap: max(1, configuration.lineCap))
    }

    /// The stream's size at the last read.
    package var size: Int64 { cache.size }

    /// The stream will not grow (the task finished).
    package var isComplete: Bool { cache.isComplete }

    /// Why the last read failed (the scheduler went away, …); nil once a read works again.
    package var errorMessage: String? { cache.failure.map { String(describing: $0) } }

    /// Bytes the document holds in memory for the stream.
    package var cachedBytes: Int { cache.cachedBytes }

    /// Reads what the stream gained since the last read (one small read: the new size, and the
    /// bytes of the last block). Call it when events say the task writes, or on a timer while
    /// the tab is open and the task runs. Returns whether anything changed.
    @discardableResult
    package func refresh() -> Bool {
        let before = (cache.size, cache.isComplete, errorMessage)
        attempt(()) { try cache.refresh() }
        return (cache.size, cache.isComplete, errorMessage) != before
    }

    /// Forgets everything read and goes back to the top, keeping follow mode: for when the
    /// screen knows the output started over (a retry), before the document could notice.
    package func reset() {
        cache.clear()
        anchor = .top
        visibleRange = nil
        lastViewport = OutputViewport()
        searchState.forgetPosition()
    }

    /// Turns following on (the view jumps to the end) or off (the view stays where it is).
    package func setFollowing(_ following: Bool) {
        // `anchor` already holds the end the last viewport showed, so turning off keeps the view.
        isFollowing = following
    }

    /// `F`: follows when not following, and the other way round.
    package func toggleFollowing() {
        setFollowing(!isFollowing)
    }

    /// Runs `body`, turning failures into state: a restarted stream resets the document and
    /// runs `body` once more; any other error is kept in `errorMessage` and `fallback` returned.
    func attempt<T>(_ fallback: T, _ body: () throws -> T) -> T {
        for _ in 0..<2 {
            do {
                return try body()
            } catch is OutputByteCache.Restarted {
                reset()
            } catch {
                cache.noteFailure(error)
                return fallback
            }
        }
        return fallback
    }
}
