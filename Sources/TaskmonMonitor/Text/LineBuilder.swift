/// A `GlyphSink` that keeps the columns [start, end) of a line, with a terminal's overlay
/// rules: a later glyph (after `\r`) replaces an earlier one, and covering half of a wide
/// character blanks its other half. Glyphs cut by either edge leave a blank in their place.
///
/// It builds the `DisplayLine` in place, one glyph per column while scanning (width 0 marks
/// the right half of a wide one); those halves are dropped at the end, so a line without wide
/// characters is handed over without a copy.
struct LineBuilder: GlyphSink {
    /// At most this many combining marks per cell, as ncursesw's `cchar_t` holds (CCHARW_MAX 5,
    /// base included); more are dropped, which also keeps "Zalgo" text cheap.
    static let marksPerCell = 4

    let startColumn: Int
    let endColumn: Int
    /// `line.glyphs[i]` is column `startColumn + i` until `finish`.
    private var line = DisplayLine()
    private var lastStyle = InlineStyle.none
    private var lastStyleIndex: UInt32 = 0
    private var hasContinuations = false
    /// Something was drawn at or past `endColumn`.
    private var reachedEnd = false

    init(startColumn: Int, maxColumns: Int) {
        self.startColumn = max(startColumn, 0)
        let (end, overflow) = self.startColumn.addingReportingOverflow(max(maxColumns, 0))
        self.endColumn = overflow ? .max : end
        line.startColumn = self.startColumn
        line.glyphs.reserveCapacity(min(max(maxColumns, 0), 1024))
    }

    private mutating func styleIndex(_ style: InlineStyle) -> UInt32 {
        if style != lastStyle {
            lastStyle = style
            lastStyleIndex = line.styleIndex(for: style)
        }
        return lastStyleIndex
    }

    private static func glyph(_ scalar: Unicode.Scalar, width: Int, isSubstitute: Bool = false, style: UInt32) -> DisplayLine.Glyph {
        DisplayLine.Glyph(scalar: scalar, widthStorage: UInt8(width), isSubstitute: isSubstitute, styleIndex: style,
                          markStart: 0, markCount: 0)
    }

    mutating func put(_ scalar: Unicode.Scalar, width: Int, column: Int, isSubstitute: Bool, style: InlineStyle) {
        if column + width > endColumn {
            reachedEnd = true
            // A wide character cut by the right edge: its visible half is blank.
            if column < endColumn && column >= startColumn {
                set(Self.glyph(" ", width: 1, style: styleIndex(style)), at: column - startColumn)
            }
            return
        }
        if column + width <= startColumn { return }
        if column < startColumn {
            set(Self.glyph(" ", width: 1, style: styleIndex(style)), at: 0)  // cut by the left edge
            return
        }
        set(Self.glyph(scalar, width: width, isSubstitute: isSubstitute, style: styleIndex(style)),
            at: column - startColumn)
    }

    mutating func putASCII(_ bytes: UnsafeBufferPointer<UInt8>, column: Int, style: InlineStyle) {
        let first = max(column, startColumn)
        let end = min(column + bytes.count, endColumn)
        if column + bytes.count > endColumn { reachedEnd = true }
        guard first < end else { return }
        let styleIndex = styleIndex(style)
        var index = first - startColumn
        var byteIndex = first - column
        // Appending at the end (no `\r` came back over this column): no overlay to resolve.
        if index == line.glyphs.count {
            while byteIndex < end - column {
                line.glyphs.append(Self.glyph(Unicode.Scalar(bytes[byteIndex]), width: 1, style: styleIndex))
                byteIndex += 1
            }
            return
        }
        while byteIndex < end - column {
            set(Self.glyph(Unicode.Scalar(bytes[byteIndex]), width: 1, style: styleIndex), at: index)
            index += 1
            byteIndex += 1
        }
    }

    private mutating func set(_ glyph: DisplayLine.Glyph, at index: Int) {
        let width = glyph.width
        while line.glyphs.count < index + width { line.glyphs.append(Self.glyph(" ", width: 1, style: 0)) }
        // Covering half of a wide character blanks the other half, as a terminal does.
        if line.glyphs[index].width == 0 && index > 0 { blank(at: index - 1) }
        let after = index + width
        if after < line.glyphs.count && line.glyphs[after].width == 0 { blank(at: after) }
        line.glyphs[index] = glyph
        if width == 2 {
            hasContinuations = true
            line.glyphs[index + 1] = Self.glyph(" ", width: 0, style: glyph.styleIndex)
        }
    }

    private mutating func blank(at index: Int) {
        line.glyphs[index] = Self.glyph(" ", width: 1, style: line.glyphs[index].styleIndex)
    }

    mutating func attach(_ mark: Unicode.Scalar, column: Int) {
        var index = column - startColumn
        guard index >= 0 && index < line.glyphs.count else { return }
        if line.glyphs[index].width == 0 { index -= 1 }
        guard index >= 0 else { return }
        let glyph = line.glyphs[index]
        let count = Int(glyph.markCount)
        guard count < Self.marksPerCell else { return }
        if count > 0 && Int(glyph.markStart) + count != line.markStorage.count {
            // Its marks are not last in the storage (the cell was overwritten since): move them.
            let start = Int(glyph.markStart)
            line.markStorage.append(contentsOf: line.markStorage[start..<(start + count)])
        }
        line.glyphs[index].markStart = Int32(line.markStorage.count - count)
        line.glyphs[index].markCount = UInt8(count + 1)
        line.markStorage.append(mark)
    }

    /// The line, once the scanner is done; `complete` is false when it stopped early.
    consuming func finish(complete: Bool) -> DisplayLine {
        line.columns = line.glyphs.count
        if hasContinuations { line.glyphs.removeAll { $0.width == 0 } }
        line.hasMore = reachedEnd || !complete
        return line
    }
}
