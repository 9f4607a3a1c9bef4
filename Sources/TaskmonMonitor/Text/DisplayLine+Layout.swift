extension DisplayLine {
    /// The line cut to at most `columns` columns. When anything is cut (or the line already
    /// `hasMore`), the last column shows an ellipsis: `…`, or `~` for terminals without it.
    /// A wide character that would straddle the ellipsis goes whole.
    package func truncated(toColumns columns: Int, asciiEllipsis: Bool = false) -> DisplayLine {
        if self.columns <= columns && !hasMore { return self }
        var result = DisplayLine()
        result.startColumn = startColumn
        result.hasMore = true
        guard columns > 0 else { return result }
        var lastStyle = InlineStyle.none
        for glyph in glyphs {
            guard result.columns + glyph.width <= columns - 1 else { break }
            lastStyle = style(of: glyph)
            result.append(glyph.scalar, width: glyph.width, isSubstitute: glyph.isSubstitute, style: lastStyle,
                          marks: marks(of: glyph))
        }
        result.append(asciiEllipsis ? "~" : "\u{2026}", width: 1, isSubstitute: false, style: lastStyle,
                      marks: EmptyCollection())
        return result
    }

    /// The line wrapped into rows of at most `width` columns: each row is a range of `glyphs`.
    /// A wide character that does not fit at the end of a row starts the next one, so no row is
    /// wider than `width` (unless `width` is 1 and the glyph is wide: it then has a row alone).
    /// An empty line is one empty row.
    package func rows(width: Int) -> [Range<Int>] {
        let width = max(width, 1)
        var rows: [Range<Int>] = []
        var rowStart = 0
        var rowColumns = 0
        for (index, glyph) in glyphs.enumerated() {
            if rowColumns + glyph.width > width && index > rowStart {
                rows.append(rowStart..<index)
                rowStart = index
                rowColumns = 0
            }
            rowColumns += glyph.width
        }
        rows.append(rowStart..<glyphs.count)
        return rows
    }

    /// The glyphs in `range` (a row from `rows(width:)`) as a line of their own.
    package func slice(_ range: Range<Int>) -> DisplayLine {
        var result = DisplayLine()
        result.startColumn = startColumn + glyphs[..<range.lowerBound].reduce(0) { $0 + $1.width }
        for glyph in glyphs[range] {
            result.append(glyph.scalar, width: glyph.width, isSubstitute: glyph.isSubstitute, style: style(of: glyph),
                          marks: marks(of: glyph))
        }
        result.hasMore = range.upperBound < glyphs.count || hasMore
        return result
    }
}
