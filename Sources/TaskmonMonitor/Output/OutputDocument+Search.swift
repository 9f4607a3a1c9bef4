extension OutputDocument {
    /// What `/` last searched for ("" when nothing).
    package var searchQuery: String { searchState.query }

    /// Where the search stands.
    package var searchStatus: OutputSearchStatus { searchState.status }

    /// The stream range of the match the view last went to.
    package var searchMatch: Range<Int64>? { searchState.current }

    /// `/` (or `?` with `backward`): looks for `query`, ignoring ASCII case, from the top of the
    /// view on, wrapping around at the end; moves the view to show the match and highlights
    /// every match on screen. An empty query clears the search. A big stream is searched in
    /// slices: while the status is `.searching`, call ``continueSearch(in:)``.
    @discardableResult
    package func search(_ query: String, backward: Bool = false, in layout: OutputLayout) -> OutputSearchStatus {
        searchState = OutputSearchState()
        guard let pattern = OutputPattern(query) else { return searchState.status }
        searchState.query = query
        searchState.pattern = pattern
        searchState.forward = !backward
        return sweep(forward: !backward, layout)
    }

    /// `n`: the next match in the search's direction.
    @discardableResult
    package func searchNext(in layout: OutputLayout) -> OutputSearchStatus {
        guard searchState.pattern != nil else { return searchState.status }
        return sweep(forward: searchState.forward, layout)
    }

    /// `N`: the next match against the search's direction.
    @discardableResult
    package func searchPrevious(in layout: OutputLayout) -> OutputSearchStatus {
        guard searchState.pattern != nil else { return searchState.status }
        return sweep(forward: !searchState.forward, layout)
    }

    /// Goes on with a search that returned `.searching`.
    @discardableResult
    package func continueSearch(in layout: OutputLayout) -> OutputSearchStatus {
        guard searchState.sweep != nil else { return searchState.status }
        return step(layout)
    }

    /// Forgets the search: no highlights, `n` does nothing.
    package func clearSearch() {
        searchState = OutputSearchState()
    }

    private func sweep(forward: Bool, _ layout: OutputLayout) -> OutputSearchStatus {
        attempt(()) { try loadIfNeeded() }
        // From the match gone to while it is on screen (like `n` in less), else from the top.
        let origin: Int64
        if let current = searchState.current, let visibleRange, visibleRange.contains(current.lowerBound) {
            origin = forward ? current.lowerBound + 1 : current.lowerBound
        } else {
            origin = anchor.start
        }
        searchState.sweep = OutputSearchState.Sweep(
            forward: forward,
            passes: forward ? [origin..<Int64.max, 0..<origin] : [0..<origin, origin..<Int64.max],
            cursor: origin, total: max(1, cache.size))
        return step(layout)
    }

    private enum StepOutcome {
        case found(Int64, wrapped: Bool)
        case exhausted
        case paused
        case cancelled
        case failed
    }

    private func step(_ layout: OutputLayout) -> OutputSearchStatus {
        let outcome = attempt(StepOutcome.failed) { try sweepStep() }
        switch outcome {
        case .found(let start, let wrapped):
            let match = start..<start + Int64(searchState.pattern?.count ?? 0)
            searchState.sweep = nil
            searchState.current = match
            searchState.status = .found(wrapped: wrapped)
            attempt(()) { try reveal(match, layout) }
        case .exhausted:
            searchState.sweep = nil
            searchState.status = .notFound
        case .paused:
            if let sweep = searchState.sweep { searchState.status = .searching(scanned: sweep.scanned, of: sweep.total) }
        case .cancelled:
            searchState.status = .none
        case .failed:
            // Not `.searching`: a caller that loops on it would hammer a source that is gone.
            searchState.sweep = nil
            searchState.status = .failed
        }
        return searchState.status
    }

    /// Looks through up to `searchBytesPerStep` bytes of the sweep.
    private func sweepStep() throws -> StepOutcome {
        // A reset (the stream restarted) drops the sweep.
        guard var sweep = searchState.sweep, let pattern = searchState.pattern else { return .cancelled }
        defer { if searchState.sweep != nil { searchState.sweep = sweep } }
        let q = Int64(pattern.count)
        let chunk = Int64(max(configuration.searchReadLength, 2 * pattern.count))
        var budget = configuration.searchBytesPerStep
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.searchTimePerStep
        while budget > 0 && clock.now < deadline {
            guard sweep.pass < sweep.passes.count else { return .exhausted }
            let pass = sweep.passes[sweep.pass]
            let size = cache.size
            let upper = min(pass.upperBound, size)
            if sweep.forward {
                let end = min(size, upper + q - 1, sweep.cursor + chunk)
                guard sweep.cursor < upper, end - sweep.cursor >= q else {
                    sweep.pass += 1
                    if sweep.pass < sweep.passes.count { sweep.cursor = sweep.passes[sweep.pass].lowerBound }
                    continue
                }
                let data = try cache.readUncached(offset: sweep.cursor, length: Int(end - sweep.cursor))
                if let i = pattern.firstMatch(in: data[...], startLimit: Int(upper - sweep.cursor)) {
                    return .found(sweep.cursor + Int64(i), wrapped: sweep.pass > 0)
                }
                guard Int64(data.count) >= q else {
                    sweep.cursor = upper
                    continue
                }
                let advance = Int64(data.count) - q + 1
                sweep.cursor += advance
                sweep.scanned += advance
                budget -= Int64(data.count)
            } else {
                let top = min(sweep.cursor, upper)
                guard top > pass.lowerBound else {
                    sweep.pass += 1
                    if sweep.pass < sweep.passes.count { sweep.cursor = sweep.passes[sweep.pass].upperBound }
                    continue
                }
                let start = max(pass.lowerBound, top - (chunk - q + 1))
                let end = min(size, top + q - 1)
                let data = end > start ? try cache.readUncached(offset: start, length: Int(end - start)) : []
                if let i = pattern.lastMatch(in: data[...], startLimit: Int(top - start)) {
                    return .found(start + Int64(i), wrapped: sweep.pass > 0)
                }
                sweep.scanned += top - start
                sweep.cursor = start
                budget -= Int64(max(1, data.count))
            }
        }
        return .paused
    }

    /// Moves the view so the match's row is on screen, unless it already is.
    private func reveal(_ match: Range<Int64>, _ layout: OutputLayout) throws {
        let start = try segmenter.start(containing: match.lowerBound)
        let measured = try measure(start, layout)
        let endWithin = Int(max(0, min(match.upperBound, measured.segment.contentEnd) - start))
        let row = endWithin > 0 ? min(measured.rows - 1, max(0, layout.rowsForLine(measured.bytes[..<endWithin]) - 1)) : 0
        let target = Anchor(start: start, row: row)
        if try isOnScreen(target, layout) { return }
        isFollowing = false
        anchor = min(target, try endAnchor(layout))
    }

    private func isOnScreen(_ target: Anchor, _ layout: OutputLayout) throws -> Bool {
        let height = max(1, layout.height)
        let top = isFollowing ? try endAnchor(layout) : anchor
        guard top <= target else { return false }
        var rowsAbove = -top.row
        var next = top.start
        while rowsAbove < height && next < cache.size {
            if next == target.start { return rowsAbove + target.row < height }
            let measured = try measure(next, layout)
            rowsAbove += measured.rows
            next = measured.segment.next
        }
        return false
    }
}
