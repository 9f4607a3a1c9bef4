extension OutputDocument {
    /// Scrolls the view. Moving up stops following; `.end` starts it; moving down stops at the
    /// end (the last row at the pane's bottom). Exact with wrap: the view moves by rows.
    package func scroll(_ motion: OutputMotion, in layout: OutputLayout) {
        let height = max(1, layout.height)
        attempt(()) {
            try loadIfNeeded()
            switch motion {
            case .down(let rows): try moveDown(rows, layout)
            case .pageDown: try moveDown(height, layout)
            case .halfPageDown: try moveDown(max(1, height / 2), layout)
            case .up(let rows): try moveUp(rows, layout)
            case .pageUp: try moveUp(height, layout)
            case .halfPageUp: try moveUp(max(1, height / 2), layout)
            case .top:
                isFollowing = false
                anchor = .top
            case .end:
                isFollowing = true
            }
        }
    }

    private func moveDown(_ rows: Int, _ layout: OutputLayout) throws {
        // Following means being at the end already.
        guard !isFollowing, rows > 0, cache.size > 0 else { return }
        var position = anchor
        var remaining = rows
        var measured = try measure(position.start, layout)
        position.row = min(position.row, measured.rows - 1)
        while remaining > 0 {
            let left = measured.rows - 1 - position.row
            if remaining <= left {
                position.row += remaining
                break
            }
            guard measured.segment.next < cache.size else {
                position.row = measured.rows - 1
                break
            }
            remaining -= left + 1
            position = Anchor(start: measured.segment.next, row: 0)
            measured = try measure(position.start, layout)
        }
        anchor = min(position, try endAnchor(layout))
    }

    private func moveUp(_ rows: Int, _ layout: OutputLayout) throws {
        if isFollowing {
            // Leave the end from where it is now, not from where the last frame showed it.
            anchor = try endAnchor(layout)
            isFollowing = false
        }
        guard rows > 0, cache.size > 0 else { return }
        var position = anchor
        position.row = min(position.row, try measure(position.start, layout).rows - 1)
        var remaining = rows
        while remaining > position.row {
            guard position.start > 0 else {
                anchor = .top
                return
            }
            remaining -= position.row + 1
            let previous = try segmenter.start(before: position.start)
            position = Anchor(start: previous, row: try measure(previous, layout).rows - 1)
        }
        position.row -= remaining
        anchor = position
    }
}
