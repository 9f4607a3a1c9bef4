/// One line of untrusted text made safe to draw: glyphs that each take 1 or 2 columns, with
/// the marks (combining accents) that sit on them and the inline colours they carry.
/// Made by `TerminalText`; drawn with `Canvas.put(_:x:y:maxWidth:style:)`.
package struct DisplayLine: Sendable, CustomStringConvertible {
    /// One cell's worth of text.
    package struct Glyph: Hashable, Sendable {
        /// The character itself (the base, for a cluster with marks).
        package var scalar: Unicode.Scalar
        var widthStorage: UInt8
        /// True when this is not the text itself but a visible stand-in for a control, an escape,
        /// invalid UTF-8 or the like: the screen draws these dimmed or reversed.
        package var isSubstitute: Bool
        var styleIndex: UInt32
        var markStart: Int32
        var markCount: UInt8

        /// Columns taken: 1 or 2.
        package var width: Int { Int(widthStorage) }
    }

    /// The glyphs, left to right, from `startColumn`.
    package internal(set) var glyphs: [Glyph] = []
    /// Combining marks, shared storage; a glyph's are `marks(of:)`.
    var markStorage: [Unicode.Scalar] = []
    /// Inline styles other than `.none`; a glyph's is `style(of:)`. Style index 0 is `.none`,
    /// index i is `styles[i - 1]`, so a line without colours allocates nothing for them.
    var styles: [InlineStyle] = []
    /// Columns the glyphs take together.
    package internal(set) var columns = 0
    /// The column of the line where the first glyph sits (the horizontal scroll asked for).
    package internal(set) var startColumn = 0
    /// True when the line goes on past the last glyph (cut at `maxColumns`, or truncated):
    /// the screen may show a "more" marker.
    package internal(set) var hasMore = false

    /// An empty line.
    package init() {}

    /// The inline style (kept SGR colours) of `glyph`.
    package func style(of glyph: Glyph) -> InlineStyle {
        glyph.styleIndex == 0 ? .none : styles[Int(glyph.styleIndex) - 1]
    }

    /// The style index for `style`, added to `styles` if new.
    mutating func styleIndex(for style: InlineStyle) -> UInt32 {
        if style == .none { return 0 }
        if let index = styles.lastIndex(of: style) { return UInt32(index + 1) }
        styles.append(style)
        return UInt32(styles.count)
    }

    /// The combining marks drawn in `glyph`'s cell.
    package func marks(of glyph: Glyph) -> ArraySlice<Unicode.Scalar> {
        let start = Int(glyph.markStart)
        return markStorage[start..<(start + Int(glyph.markCount))]
    }

    /// The visible text (wide characters once, marks after their base), for tests and search.
    package var text: String {
        var scalars = String.UnicodeScalarView()
        for glyph in glyphs {
            scalars.append(glyph.scalar)
            scalars.append(contentsOf: marks(of: glyph))
        }
        return String(scalars)
    }

    /// The visible text.
    package var description: String { text }

    mutating func append(_ scalar: Unicode.Scalar, width: Int, isSubstitute: Bool, style: InlineStyle,
                         marks: some Collection<Unicode.Scalar>) {
        let index = styleIndex(for: style)
        glyphs.append(Glyph(scalar: scalar, widthStorage: UInt8(width), isSubstitute: isSubstitute,
                            styleIndex: index, markStart: Int32(markStorage.count), markCount: UInt8(marks.count)))
        markStorage.append(contentsOf: marks)
        columns += width
    }
}

extension DisplayLine: Equatable {
    /// Lines are equal when they look the same: same glyphs, marks, styles and extent.
    package static func == (lhs: DisplayLine, rhs: DisplayLine) -> Bool {
        guard lhs.columns == rhs.columns, lhs.startColumn == rhs.startColumn, lhs.hasMore == rhs.hasMore,
              lhs.glyphs.count == rhs.glyphs.count else { return false }
        for (left, right) in zip(lhs.glyphs, rhs.glyphs) {
            guard left.scalar == right.scalar, left.width == right.width, left.isSubstitute == right.isSubstitute,
                  lhs.style(of: left) == rhs.style(of: right), lhs.marks(of: left).elementsEqual(rhs.marks(of: right))
            else { return false }
        }
        return true
    }
}
