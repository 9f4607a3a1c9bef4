/// One line of output as the Output and Errors tabs draw it.
///
/// Bytes are raw: untrusted, maybe invalid UTF-8, with any `\r` but the one of a CRLF left in
/// for the renderer's overlay. A line longer than the document's cap comes as several
/// `OutputLine`s: `continues` on all but the last, `isContinuation` on all but the first.
package struct OutputLine: Equatable, Sendable {
    /// Offset of the first byte in the stream.
    package var offset: Int64
    /// The line's bytes, without the newline (and without the `\r` of a CRLF).
    package var bytes: [UInt8]
    /// Starts inside a long line that was cut: the renderer may mark it.
    package var isContinuation: Bool
    /// The line goes on in the next `OutputLine`.
    package var continues: Bool
    /// Byte ranges of `bytes` that match the search, in order; a match across a cut shows in
    /// both pieces.
    package var matches: [Range<Int>]
    /// Index into `matches` of the match that the last search step went to, if on this line.
    package var currentMatch: Int?

    /// A line as given; the document makes these, tests and previews may too.
    package init(offset: Int64, bytes: [UInt8], isContinuation: Bool = false, continues: Bool = false,
                matches: [Range<Int>] = [], currentMatch: Int? = nil) {
        self.offset = offset
        self.bytes = bytes
        self.isContinuation = isContinuation
        self.continues = continues
        self.matches = matches
        self.currentMatch = currentMatch
    }
}

/// What the output pane shows now: lines from the top, the first maybe partly scrolled off.
package struct OutputViewport: Equatable, Sendable {
    /// Lines from the top of the pane; together at least `height` rows unless the stream ends first.
    package var lines: [OutputLine]
    /// Wrapped rows of the first line that are above the pane (0 without wrap).
    package var firstLineSkippedRows: Int
    /// The last line shown is the last of the stream (nothing to scroll down to, for now).
    package var reachesEnd: Bool

    /// A viewport as given; the default is the empty one.
    package init(lines: [OutputLine] = [], firstLineSkippedRows: Int = 0, reachesEnd: Bool = true) {
        self.lines = lines
        self.firstLineSkippedRows = firstLineSkippedRows
        self.reachesEnd = reachesEnd
    }
}

/// The pane's geometry as scrolling sees it: how many rows, and how many rows a line takes.
package struct OutputLayout {
    /// Rows of the pane.
    package var height: Int
    /// Rows a line's bytes take when drawn: 1 without wrap; with wrap, the renderer's count at
    /// the pane's width. Must not depend on anything but the bytes while the layout is in use.
    /// Values below 1 count as 1.
    package var rowsForLine: (ArraySlice<UInt8>) -> Int

    /// A pane of `height` rows whose lines take `rowsForLine` rows each.
    package init(height: Int, rowsForLine: @escaping (ArraySlice<UInt8>) -> Int) {
        self.height = height
        self.rowsForLine = rowsForLine
    }

    /// One row per line: wrap off.
    package static func unwrapped(height: Int) -> OutputLayout {
        OutputLayout(height: height) { _ in 1 }
    }

    /// The closure's answer, kept within reason so sums of rows cannot overflow.
    func rows(_ bytes: [UInt8]) -> Int { min(max(1, rowsForLine(bytes[...])), 1 << 32) }
}

/// A scrolling key of the output pane.
package enum OutputMotion: Equatable, Sendable {
    /// Down (`j`, arrow) or up (`k`, arrow) by rows.
    case down(Int), up(Int)
    /// PgDn / PgUp: a pane's height.
    case pageDown, pageUp
    /// `ctrl-d` / `ctrl-u`: half a pane.
    case halfPageDown, halfPageUp
    /// `g`: the first line; stops following.
    case top
    /// `G`: the end, and follow from there on.
    case end
}
