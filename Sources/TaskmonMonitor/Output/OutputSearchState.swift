/// Where a search stands, for the status line.
package enum OutputSearchStatus: Equatable, Sendable {
    /// No search, or it was cleared.
    case none
    /// Still looking (a big stream is searched a slice per call): call
    /// ``OutputDocument/continueSearch(in:)`` again, e.g. on the next turn of the run loop.
    case searching(scanned: Int64, of: Int64)
    /// The view shows a match. `wrapped`: the search went past the end (or, going backward,
    /// the start) and went on from the other side to find it.
    case found(wrapped: Bool)
    /// The pattern occurs nowhere in the stream.
    case notFound
    /// Reading failed part way (``OutputDocument/errorMessage`` says why); `n` starts again.
    case failed

    /// A short text for the status line.
    package func text(query: String) -> String {
        switch self {
        case .none: ""
        case .searching(let scanned, let total):
            "searching… \(total > 0 ? Int(min(100, scanned * 100 / total)) : 0)%"
        case .found(let wrapped): wrapped ? "search wrapped around" : ""
        case .notFound: "not found: \(query)"
        case .failed: "search stopped: the output could not be read"
        }
    }
}

/// The search of one document: the pattern, the match last gone to, and a sweep in progress.
struct OutputSearchState {
    /// A sweep through the stream that may take several calls.
    struct Sweep {
        var forward: Bool
        /// Ranges of match starts to look through, in order: from the origin to one end, then
        /// from the other end back to the origin.
        var passes: [Range<Int64>]
        var pass = 0
        /// Forward: the next start to look at. Backward: starts below this are left.
        var cursor: Int64
        var scanned: Int64 = 0
        var total: Int64
    }

    var query = ""
    var pattern: OutputPattern?
    /// `/` searches forward, `?` backward; `n` repeats that way, `N` the other.
    var forward = true
    /// The match the view went to.
    var current: Range<Int64>?
    var sweep: Sweep?
    var status = OutputSearchStatus.none

    /// Every match's start, counted once per query and stream size (nil offsets: not counted).
    struct Count {
        var query: String
        var size: Int64
        var offsets: [Int64]?
    }
    var counted: Count?

    /// After a reset: offsets mean nothing any more, the pattern still does.
    mutating func forgetPosition() {
        current = nil
        sweep = nil
        counted = nil
        if pattern != nil { status = .none }
    }
}
