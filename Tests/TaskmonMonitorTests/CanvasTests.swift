import Testing
@testable import TaskmonMonitor

@Suite struct CanvasTests {
    let red = Style(foreground: .index(1))
    let blue = Style(foreground: .index(4))

    @Test func aNewCanvasIsBlank() {
        let canvas = Canvas(width: 4, height: 2)
        #expect(canvas.text(ofRow: 0) == "    ")
        #expect(canvas[0, 0] == Cell(text: " ", style: .plain, width: 1))
        #expect(canvas.debugDescription == "Canvas 4×2\n|    |\n|    |")
    }

    @Test func putDrawsALabelAndReturnsItsColumns() {
        var canvas = Canvas(width: 10, height: 1)
        #expect(canvas.put("abc", x: 1, y: 0, style: red) == 3)
        #expect(canvas.text(ofRow: 0) == " abc      ")
        #expect(canvas.style(atX: 1, y: 0) == red)
        #expect(canvas.style(atX: 4, y: 0) == .plain)
        #expect(canvas.put("中文", x: 5, y: 0, style: blue) == 4)
        #expect(canvas.text(ofRow: 0) == " abc 中文 ")
        #expect(canvas[5, 0] == Cell(text: "中", style: blue, width: 2))
        #expect(canvas[6, 0].isContinuation)
    }

    @Test func labelsAreSanitized() {
        var canvas = Canvas(width: 12, height: 1)
        let used = canvas.put("a\u{1B}[2J\u{1B}]0;t\u{7}b\u{0}c\u{202E}", x: 0, y: 0, style: red)
        #expect(canvas.text(ofRow: 0) == "ab^@c<RLO>  ")
        #expect(used == 10)
        // Substitutes are marked (reverse, by default) on top of the style.
        #expect(canvas.style(atX: 0, y: 0) == red)
        #expect(canvas.style(atX: 2, y: 0) == red.adding(.reverse))
        #expect(canvas.style(atX: 5, y: 0) == red.adding(.reverse))
    }

    @Test func maxWidthClips() {
        var canvas = Canvas(width: 10, height: 1)
        #expect(canvas.put("abcdef", x: 2, y: 0, maxWidth: 3, style: .plain) == 3)
        #expect(canvas.text(ofRow: 0) == "  abc     ")
        #expect(canvas.put("abc", x: 0, y: 0, maxWidth: 0, style: .plain) == 0)
        #expect(canvas.put("abc", x: 0, y: 0, maxWidth: -5, style: .plain) == 0)
    }

    @Test func aWideCharacterAtTheLastColumnBecomesASpace() {
        var canvas = Canvas(width: 5, height: 1)
        #expect(canvas.put("abcd中", x: 0, y: 0, style: red) == 5)
        #expect(canvas.text(ofRow: 0) == "abcd ")
        #expect(canvas[4, 0] == Cell(text: " ", style: red, width: 1))
        // Same at a maxWidth edge inside the canvas.
        var inner = Canvas(width: 6, height: 1)
        #expect(inner.put("a中", x: 0, y: 0, maxWidth: 2, style: .plain) == 2)
        #expect(inner.text(ofRow: 0) == "a     ")
        #expect(!inner[2, 0].isContinuation)
    }

    @Test func aWideCharacterCutByTheLeftEdgeBecomesASpace() {
        var canvas = Canvas(width: 4, height: 1)
        #expect(canvas.put("中文", x: -1, y: 0, style: red) == 4)
        #expect(canvas.text(ofRow: 0) == " 文 ")
        #expect(canvas[0, 0] == Cell(text: " ", style: red, width: 1))
    }

    @Test func overwritingHalfOfAWideCharacterBlanksTheOtherHalf() {
        var canvas = Canvas(width: 6, height: 1)
        canvas.put("中文", x: 0, y: 0, style: red)
        canvas.put("x", x: 1, y: 0, style: blue)  // right half of 中
        #expect(canvas.text(ofRow: 0) == " x文  ")
        #expect(canvas[0, 0] == Cell(text: " ", style: red, width: 1))
        canvas.put("y", x: 2, y: 0, style: blue)  // left half of 文
        #expect(canvas.text(ofRow: 0) == " xy   ")
        #expect(canvas[3, 0] == Cell(text: " ", style: red, width: 1))
        // A wide character over the right half of another.
        var other = Canvas(width: 6, height: 1)
        other.put("中文", x: 0, y: 0, style: red)
        other.put("字", x: 1, y: 0, style: blue)
        #expect(other.text(ofRow: 0) == " 字   ")
        #expect(!other[3, 0].isContinuation)
    }

    @Test(arguments: [(-1, -1), (0, -1), (3, 0), (0, 2), (Int.max, 0), (Int.min, 0), (0, Int.max), (0, Int.min),
                      (Int.max, Int.max), (-100, 1), (-4, 0)])
    func drawingEntirelyOutsideTheGridChangesNothing(x: Int, y: Int) {
        var canvas = Canvas(width: 3, height: 2)
        canvas.put("ab", x: 0, y: 0, style: red)
        let before = canvas
        canvas.put("中文", x: x, y: y, style: red)  // at (-4, 0) it ends at column 0: nothing shows
        canvas.put("abc", x: x, y: y, maxWidth: 1, style: red)
        if !(0..<2).contains(y) || x >= 3 {
            canvas.put("abc", x: x, y: y, maxWidth: .max, style: red)
            canvas.fill(row: y, from: x, width: .max, style: red)
            canvas.restyle(row: y, from: x, width: 3) { $0.adding(.bold) }
        }
        canvas.fill(row: y, from: x, width: 0, style: red)
        #expect(canvas == before)
        #expect(canvas[x, y] == Cell(text: " ", style: .plain, width: 1) || canvas.contains(x: x, y: y))
        #expect(canvas.style(atX: x, y: y) == .plain || canvas.contains(x: x, y: y))
        _ = canvas.text(ofRow: y)
        _ = canvas.runs(inRow: y)
    }

    @Test func hugeSizesAndCoordinatesAreClippedNotTrapped() {
        var canvas = Canvas(width: 3, height: 1)
        #expect(canvas.put("abcdef", x: 1, y: 0, maxWidth: .max, style: red) == 2)
        // [Int.min, Int.min + Int.max) ends at -1: it covers nothing of the grid.
        canvas.fill(row: 0, from: Int.min, width: Int.max, style: blue)
        #expect(canvas.style(atX: 0, y: 0) == .plain)
        canvas.fill(row: 0, from: -5, width: Int.max, style: blue)
        #expect(canvas.style(atX: 0, y: 0) == blue)
        canvas.restyle(row: 0, from: -1, width: Int.max) { $0.adding(.bold) }
        #expect(canvas.style(atX: 2, y: 0) == blue.adding(.bold))
    }

    @Test func anEmptyCanvasTakesEverything() {
        var empty = Canvas(width: 0, height: 0)
        #expect(empty.put("abc", x: 0, y: 0, style: red) == 0)
        empty.fill(row: 0, width: 5, style: red)
        empty.restyle(row: 0, from: 0, width: 5) { $0 }
        empty.clear(style: red)
        #expect(empty.runs(inRow: 0).isEmpty)
        #expect(empty.text(ofRow: 0) == "")
        #expect(empty.debugDescription == "Canvas 0×0")
        #expect(Canvas(width: -3, height: 5).width == 0)
        var thin = Canvas(width: 1, height: 1)
        #expect(thin.put("中", x: 0, y: 0, style: red) == 1)  // no room for it: a blank
        #expect(thin.text(ofRow: 0) == " ")
    }

    @Test func negativeCoordinatesClipTheStartOfALabel() {
        var canvas = Canvas(width: 4, height: 1)
        #expect(canvas.put("abcdef", x: -2, y: 0, style: .plain) == 6)
        #expect(canvas.text(ofRow: 0) == "cdef")
    }

    @Test func fillAndClear() {
        var canvas = Canvas(width: 5, height: 2)
        canvas.put("abcde", x: 0, y: 0, style: .plain)
        canvas.fill(row: 0, from: 1, width: 2, style: red)
        #expect(canvas.text(ofRow: 0) == "a  de")
        #expect(canvas.style(atX: 2, y: 0) == red)
        canvas.put("中文", x: 0, y: 1, style: .plain)
        canvas.fill(row: 1, from: 1, width: 1, style: blue)  // half of 中
        #expect(canvas.text(ofRow: 1) == "  文 ")
        canvas.clear(style: blue)
        #expect(canvas == {
            var blank = Canvas(width: 5, height: 2)
            blank.clear(style: blue)
            return blank
        }())
    }

    @Test func restyleKeepsTheTextAndCoversWholeWideCharacters() {
        var canvas = Canvas(width: 6, height: 1)
        canvas.put("a中b", x: 0, y: 0, style: .plain)
        canvas.restyle(row: 0, from: 2, width: 1) { $0.adding(.reverse) }
        #expect(canvas.text(ofRow: 0) == "a中b  ")
        #expect(canvas.style(atX: 1, y: 0).attributes == .reverse)
        #expect(canvas.style(atX: 2, y: 0).attributes == .reverse)
        #expect(canvas.style(atX: 3, y: 0) == .plain)
    }

    @Test func combiningMarksLiveInTheirCell() {
        var canvas = Canvas(width: 4, height: 1)
        canvas.put("e\u{301}x", x: 0, y: 0, style: .plain)
        #expect(canvas[0, 0].text == "e\u{301}")
        #expect(canvas.text(ofRow: 0) == "e\u{301}x  ")
        // Equal frames are equal however their marks were stored.
        var other = Canvas(width: 4, height: 1)
        other.put("a\u{302}", x: 0, y: 0, style: .plain)
        other.put("e\u{301}x", x: 0, y: 0, style: .plain)
        #expect(other == canvas)
        other.put("e\u{302}", x: 0, y: 0, style: .plain)
        #expect(other != canvas)
    }

    @Test func outputLinesKeepTheirColoursOverTheBaseStyle() {
        var canvas = Canvas(width: 8, height: 1)
        let line = TerminalText.displayLine(Array("\u{1B}[31mred\u{1B}[0m ok".utf8)[...], options: TextCheck.output)
        let base = Style(background: .index(0))
        #expect(canvas.put(line, x: 0, y: 0, style: base) == 6)
        #expect(canvas.style(atX: 0, y: 0) == Style(foreground: .index(1), background: .index(0)))
        #expect(canvas.style(atX: 4, y: 0) == base)
    }

    @Test func wrappedRowsDrawIntoSuccessiveRows() {
        var canvas = Canvas(width: 3, height: 3)
        let line = TerminalText.displayLine("ab中cd")
        for (y, row) in line.rows(width: canvas.width).enumerated() {
            canvas.put(line, glyphRange: row, x: 0, y: y, style: .plain)
        }
        #expect((0..<3).map { canvas.text(ofRow: $0) } == ["ab ", "中c", "d  "])
    }

    @Test func resizeGivesABlankGridOfTheNewSize() {
        var canvas = Canvas(width: 3, height: 1)
        canvas.put("abc", x: 0, y: 0, style: red)
        canvas.resize(width: 2, height: 2)
        #expect(canvas == Canvas(width: 2, height: 2))
    }
}

@Suite struct CanvasASCIIFoldTests {
    @Test func foldingKeepsColumnsAndLeavesOnlyASCII() {
        var canvas = Canvas(width: 12, height: 1)
        canvas.put("a·中é\u{301}✓b", x: 0, y: 0, style: .plain)
        let before = canvas.text(ofRow: 0)
        canvas.fold(toASCII: Canvas.asciiFallbacks)
        let after = canvas.text(ofRow: 0)
        #expect(after.unicodeScalars.allSatisfy { $0.isASCII })
        // "中" took two columns and becomes "??"; "é" loses its combining accent.
        #expect(after.hasPrefix("a|???+b"), "\(before) → \(after)")
        #expect(canvas[7, 0].width == 1)
    }
}
