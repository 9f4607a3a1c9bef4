extension Canvas {
    /// Draws a label (untrusted is fine: it is sanitized with `options`) at column `x` of row
    /// `y`, in at most `maxWidth` columns, and returns the columns it took from `x`.
    /// Substitutes (controls shown as `^[` and the like) get `substituteAttributes` on top.
    @discardableResult
    package mutating func put(_ label: String, x: Int, y: Int, maxWidth: Int = .max, style: Style,
                             options: TerminalText.Options = .label,
                             substituteAttributes: TextAttributes = .reverse) -> Int {
        guard y >= 0 && y < height, x < width, maxWidth > 0 else { return 0 }
        // Only what can be seen is scanned: from the left edge (when x < 0) to the right one.
        let visible = min(maxWidth, x >= 0 ? width - x : .max)
        let line = TerminalText.displayLine(label, options: options, maxColumns: visible)
        return put(line, x: x, y: y, maxWidth: maxWidth, style: style, substituteAttributes: substituteAttributes)
    }

    /// Draws `line` (or the glyphs in `glyphRange`, a row from `DisplayLine.rows(width:)`) at
    /// column `x` of row `y`, in at most `maxWidth` columns, and returns the columns it took
    /// from `x`. Each glyph's inline style is laid over `style`; substitutes get
    /// `substituteAttributes` on top. A wide character that does not fit at the right edge
    /// leaves a blank in its place; one cut by the left edge (x < 0) leaves a blank too.
    @discardableResult
    package mutating func put(_ line: DisplayLine, glyphRange: Range<Int>? = nil, x: Int, y: Int, maxWidth: Int = .max,
                             style: Style, substituteAttributes: TextAttributes = .reverse) -> Int {
        guard y >= 0 && y < height, maxWidth > 0 else { return 0 }
        let limit = min(x.saturatingAdd(maxWidth), width)  // first column not to draw in
        var column = x
        let range = glyphRange?.clamped(to: line.glyphs.indices) ?? line.glyphs.indices
        var lastInline = InlineStyle.none
        var lastStyle = style
        for glyph in line.glyphs[range] {
            guard column < limit else { break }
            let glyphWidth = glyph.width
            let inline = line.style(of: glyph)
            if inline != lastInline {
                lastInline = inline
                lastStyle = inline.applied(to: style)
            }
            let cellStyle = glyph.isSubstitute ? lastStyle.adding(substituteAttributes) : lastStyle
            if column + glyphWidth > limit {
                // Cut by the right edge: a blank instead of half a wide character.
                if column >= 0 { write(.blank(lastStyle), x: column, y: y) }
                column = limit
                break
            }
            if column >= 0 {
                var cell = StoredCell(scalar: glyph.scalar, kind: glyphWidth == 2 ? .wide : .narrow, markCount: 0,
                                      markStart: 0, style: cellStyle)
                let glyphMarks = line.marks(of: glyph)
                if !glyphMarks.isEmpty {
                    cell.markStart = Int32(marks.count)
                    cell.markCount = UInt8(glyphMarks.count)
                    marks.append(contentsOf: glyphMarks)
                }
                write(cell, x: column, y: y)
            } else if column + glyphWidth > 0 {
                write(.blank(lastStyle), x: 0, y: y)  // cut by the left edge
            }
            column += glyphWidth
        }
        return max(column - x, 0)
    }
}
