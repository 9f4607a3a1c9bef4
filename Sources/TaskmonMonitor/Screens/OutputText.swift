import Foundation

/// Turns a line of raw task output into cells: the one place output bytes meet the screen.
///
/// Everything goes through `TerminalText`: escape sequences removed (SGR colours kept as
/// colours), controls shown as `^X`, widths from wcwidth, wide characters never split.
enum OutputText {
    /// How output is decoded: colours kept and mapped to the terminal's depth, `\r` overlaid.
    static func options(_ depth: ColorDepth) -> TerminalText.Options { .output(colorDepth: depth) }

    /// Rows `bytes` take when wrapped at `width`.
    static func rows(of bytes: ArraySlice<UInt8>, width: Int) -> Int {
        let line = TerminalText.displayLine(bytes, options: options(.twoFiftySix), startColumn: 0, maxColumns: .max)
        return max(1, line.rows(width: width).count)
    }

    /// Draws `line` from row `skipRows` of its wrapped form; returns the rows drawn.
    static func draw(_ line: OutputLine, into canvas: inout Canvas, x: Int, y: Int, width: Int, skipRows: Int,
                     maxRows: Int, wrap: Bool, query: String, horizontalOffset: Int = 0, context: RenderContext) -> Int {
        let text = context.style(.text)
        let shift = wrap ? 0 : max(0, horizontalOffset)
        let decoded = TerminalText.displayLine(line.bytes[...], options: options(context.theme.depth), startColumn: shift,
                                               maxColumns: wrap ? .max : width)
        let rows = wrap ? decoded.rows(width: width) : [0..<decoded.glyphs.count]
        // Matches found in what is shown; the one `n` went to stands out from the others.
        let matches = query.isEmpty ? [] : decoded.columnRanges(of: query)
        let currentIndex = shift == 0 ? line.currentMatch : nil
        var drawn = 0
        var rowStartColumn = 0
        for (index, range) in rows.enumerated() {
            let columns = decoded.glyphs[range].reduce(0) { $0 + $1.width }
            defer { rowStartColumn += columns }
            guard index >= skipRows else { continue }
            guard drawn < maxRows else { break }
            let rowY = y + drawn
            canvas.put(decoded, glyphRange: range, x: x, y: rowY, maxWidth: width, style: text)
            // Search matches: the matched cells take the match style, whatever colour they had.
            for (matchIndex, match) in matches.enumerated()
            where match.upperBound > rowStartColumn && match.lowerBound < rowStartColumn + columns {
                let from = max(match.lowerBound, rowStartColumn) - rowStartColumn
                let to = min(match.upperBound, rowStartColumn + columns) - rowStartColumn
                let style = matchIndex == currentIndex
                    ? context.style(.searchMatch).adding(.bold).adding(.underline).adding(.reverse)
                    : context.style(.searchMatch)
                canvas.restyle(row: rowY, from: x + from, width: to - from) { _ in style }
            }
            drawn += 1
        }
        if rows.isEmpty || drawn == 0, skipRows == 0, maxRows > 0 { drawn = 1 }
        if !wrap, decoded.hasMore, width > 1 {
            // A cut line says so at its right edge.
            canvas.put(context.ascii ? ">" : "›", x: x + width - 1, y: y, style: context.style(.muted))
        }
        return drawn
    }
}
