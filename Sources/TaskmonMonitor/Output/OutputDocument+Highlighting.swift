extension OutputDocument {
    /// A line as drawn, and the segment it came from.
    struct ShownLine {
        var segment: OutputSegment
        var line: OutputLine
    }

    /// Turns measured segments into lines, with the search's matches marked.
    func highlighted(_ segments: [MeasuredSegment]) throws -> [ShownLine] {
        try segments.map { measured in
            let segment = measured.segment
            var line = OutputLine(offset: segment.start, bytes: measured.bytes,
                                  isContinuation: segment.isContinuation, continues: segment.continues)
            if let pattern = searchState.pattern {
                // Look a pattern's length into the neighbouring pieces, so a match across a cut shows.
                let reach = Int64(pattern.count - 1)
                let lower = segment.isContinuation ? max(0, segment.start - reach) : segment.start
                let upper = segment.continues ? min(cache.size, segment.contentEnd + reach) : segment.contentEnd
                let window = lower == segment.start && upper == segment.contentEnd
                    ? measured.bytes : try cache.bytes(lower..<upper)
                for found in pattern.allMatches(in: window[...]) {
                    let absolute = lower + Int64(found.lowerBound)..<lower + Int64(found.upperBound)
                    let clipped = absolute.clamped(to: segment.start..<segment.contentEnd)
                    guard !clipped.isEmpty else { continue }
                    if absolute == searchState.current { line.currentMatch = line.matches.count }
                    line.matches.append(Int(clipped.lowerBound - segment.start)..<Int(clipped.upperBound - segment.start))
                }
            }
            return ShownLine(segment: segment, line: line)
        }
    }
}
