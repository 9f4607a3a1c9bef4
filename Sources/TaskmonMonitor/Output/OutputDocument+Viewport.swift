extension OutputDocument {
    /// A segment with its bytes and the rows it takes in a layout.
    struct MeasuredSegment {
        var segment: OutputSegment
        var bytes: [UInt8]
        var rows: Int
    }

    func measure(_ start: Int64, _ layout: OutputLayout) throws -> MeasuredSegment {
        let segment = try segmenter.segment(at: start)
        let bytes = try cache.bytes(segment.start..<segment.contentEnd)
        return MeasuredSegment(segment: segment, bytes: bytes, rows: layout.rows(bytes))
    }

    /// The lines to draw in `layout` now. While following, the view is the end of the stream;
    /// otherwise it starts where scrolling left it, pulled up if the stream ends above the
    /// pane's bottom (after a resize, say). Reads what it needs; on a read error it returns
    /// the last viewport it could build and `errorMessage` says why.
    package func viewport(_ layout: OutputLayout) -> OutputViewport {
        attempt(lastViewport) {
            try loadIfNeeded()
            if isFollowing { anchor = try endAnchor(layout) }
            var view = try fill(from: anchor, layout)
            if view.rows < max(1, layout.height), anchor > .top {
                let end = try endAnchor(layout)
                if end < anchor {
                    anchor = end
                    view = try fill(from: anchor, layout)
                }
            }
            let lines = try highlighted(view.lines)
            visibleRange = lines.first.map { $0.segment.start..<view.next }
            lastViewport = OutputViewport(lines: lines.map(\.line), firstLineSkippedRows: view.skipped,
                                          reachesEnd: view.next >= cache.size)
            return lastViewport
        }
    }

    /// Where the bottom of the last viewport is, as a share of the stream (0…1).
    package var fractionShown: Double {
        guard cache.size > 0, let visibleRange else { return cache.size > 0 ? 0 : 1 }
        return min(1, Double(visibleRange.upperBound) / Double(cache.size))
    }

    func loadIfNeeded() throws {
        if !cache.hasRead { try cache.refresh() }
    }

    struct Fill {
        var lines: [MeasuredSegment] = []
        var skipped = 0
        var rows = 0
        var next: Int64 = 0
    }

    /// Segments from `anchor` down until they fill the pane or the stream ends.
    func fill(from anchor: Anchor, _ layout: OutputLayout) throws -> Fill {
        var fill = Fill(next: anchor.start)
        let height = max(1, layout.height)
        while fill.rows < height && fill.next < cache.size {
            let measured = try measure(fill.next, layout)
            if fill.lines.isEmpty {
                fill.skipped = min(anchor.row, measured.rows - 1)
                fill.rows = measured.rows - fill.skipped
            } else {
                fill.rows += measured.rows
            }
            fill.lines.append(measured)
            fill.next = measured.segment.next
        }
        return fill
    }

    /// The top of the pane when its last row shows the stream's last row.
    func endAnchor(_ layout: OutputLayout) throws -> Anchor {
        guard cache.size > 0 else { return .top }
        var needed = max(1, layout.height)
        var start = try segmenter.start(containing: cache.size - 1)
        while true {
            let rows = try measure(start, layout).rows
            if rows >= needed { return Anchor(start: start, row: rows - needed) }
            needed -= rows
            if start == 0 { return .top }
            start = try segmenter.start(before: start)
        }
    }
}
