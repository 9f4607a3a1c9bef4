import Testing
@testable import TaskmonMonitor

/// Scrolling checked against the obvious model: every row of every line in one list, and the
/// view a window of `height` rows into it that never goes past the end.
@Suite struct OutputScrollingTests {
    private struct Model {
        /// (segment index, row within it) for every row of the stream.
        var rows: [(line: Int, row: Int)]
        var height: Int
        var top = 0
        var maxTop: Int { max(0, rows.count - height) }

        init(lineRows: [Int], height: Int) {
            rows = lineRows.enumerated().flatMap { index, count in (0..<count).map { (index, $0) } }
            self.height = height
        }

        mutating func apply(_ motion: OutputMotion) {
            switch motion {
            case .down(let n): top = min(maxTop, max(top, top + n))
            case .up(let n): top = max(0, top - n)
            case .pageDown: top = min(maxTop, top + height)
            case .pageUp: top = max(0, top - height)
            case .halfPageDown: top = min(maxTop, top + max(1, height / 2))
            case .halfPageUp: top = max(0, top - max(1, height / 2))
            case .top: top = 0
            case .end: top = maxTop
            }
        }

        /// What the viewport should hold: the first line index, rows of it skipped, the line count.
        var expected: (first: Int, skipped: Int, count: Int) {
            guard !rows.isEmpty else { return (0, 0, 0) }
            let window = rows[top..<min(rows.count, top + height)]
            return (window.first!.line, window.first!.row, window.last!.line - window.first!.line + 1)
        }
    }

    private func check(_ document: OutputDocument, _ model: Model, _ layout: OutputLayout,
                       _ all: [[UInt8]], _ context: String) {
        let viewport = document.viewport(layout)
        let expected = model.expected
        #expect(viewport.lines.map(\.bytes) == Array(all[expected.first..<expected.first + expected.count]), "\(context)")
        #expect(viewport.firstLineSkippedRows == expected.skipped, "\(context)")
    }

    @Test(arguments: [0, 5, 13])
    func scrollingMatchesTheModel(wrapWidth: Int) throws {
        var generator = SeededGenerator(state: UInt64(wrapWidth) + 99)
        let bytes = randomStream(&generator, length: 1500)
        let height = 7
        let layout = wrapWidth == 0 ? OutputLayout.unwrapped(height: height) : wrapped(width: wrapWidth, height: height)
        let document = OutputDocument(source: MemoryOutputSource(bytes, complete: true), configuration: tinyConfiguration(lineCap: 16, blockSize: 32))
        let all = try segmentsByWalking(document).map { Array(bytes[Int($0.start)..<Int($0.contentEnd)]) }
        var model = Model(lineRows: all.map { layout.rows($0) }, height: height)
        #expect(model.rows.count > 10 * height)
        check(document, model, layout, all, "at open")
        let motions: [OutputMotion] = [.down(1), .down(3), .pageDown, .halfPageDown, .up(2), .pageUp, .halfPageUp,
                                       .up(1), .down(11), .end, .up(1), .down(1), .top, .up(3)]
        for step in 0..<300 {
            let motion = motions.randomElement(using: &generator)!
            document.scroll(motion, in: layout)
            model.apply(motion)
            check(document, model, layout, all, "step \(step): \(motion)")
        }
    }

    @Test func pagesAndHalfPagesWithoutWrap() {
        let text = (0..<100).map { "line \($0)\n" }.joined()
        let document = OutputDocument(source: MemoryOutputSource(text, complete: true))
        let layout = OutputLayout.unwrapped(height: 10)
        #expect(document.viewport(layout).texts.first == "line 0")
        document.scroll(.pageDown, in: layout)
        #expect(document.viewport(layout).texts.first == "line 10")
        document.scroll(.halfPageDown, in: layout)
        #expect(document.viewport(layout).texts.first == "line 15")
        document.scroll(.halfPageUp, in: layout)
        document.scroll(.up(2), in: layout)
        #expect(document.viewport(layout).texts.first == "line 8")
        document.scroll(.end, in: layout)
        #expect(document.viewport(layout).texts == (90..<100).map { "line \($0)" })
        document.scroll(.down(5), in: layout)
        #expect(document.viewport(layout).texts.first == "line 90")
        document.scroll(.top, in: layout)
        #expect(document.viewport(layout).texts.first == "line 0")
        document.scroll(.up(5), in: layout)
        #expect(document.viewport(layout).texts.first == "line 0")
    }

    @Test func wrappedScrollingMovesByRowsInsideALine() {
        // One line of 25 bytes at width 10 takes 3 rows.
        let document = OutputDocument(source: MemoryOutputSource("a\n" + String(repeating: "b", count: 25) + "\nc\nd\ne\n", complete: true))
        let layout = wrapped(width: 10, height: 2)
        document.scroll(.down(2), in: layout)
        var viewport = document.viewport(layout)
        #expect(viewport.texts.first?.first == "b")
        #expect(viewport.firstLineSkippedRows == 1)
        document.scroll(.down(2), in: layout)
        viewport = document.viewport(layout)
        #expect(viewport.texts == ["c", "d"])
        #expect(viewport.firstLineSkippedRows == 0)
        document.scroll(.up(1), in: layout)
        viewport = document.viewport(layout)
        #expect(viewport.firstLineSkippedRows == 2)
        #expect(viewport.lines.count == 2)
    }

    @Test func turningWrapOffKeepsTheLineAtTheTop() {
        let document = OutputDocument(source: MemoryOutputSource(String(repeating: "w", count: 50) + "\nx\ny\nz\n", complete: true))
        document.scroll(.down(3), in: wrapped(width: 10, height: 2))
        #expect(document.viewport(wrapped(width: 10, height: 2)).firstLineSkippedRows == 3)
        let viewport = document.viewport(.unwrapped(height: 2))
        #expect(viewport.firstLineSkippedRows == 0)
        #expect(viewport.texts.last == "x")
    }

    @Test func aTallerPaneAtTheEndShowsMoreAbove() {
        let text = (0..<20).map { "\($0)\n" }.joined()
        let document = OutputDocument(source: MemoryOutputSource(text, complete: true))
        document.scroll(.pageDown, in: .unwrapped(height: 5))
        document.scroll(.pageDown, in: .unwrapped(height: 5))
        document.scroll(.pageDown, in: .unwrapped(height: 5))
        #expect(document.viewport(.unwrapped(height: 5)).texts.first == "15")
        #expect(document.viewport(.unwrapped(height: 8)).texts == (12..<20).map(String.init))
    }

    @Test func statusTextSaysSizePositionAndFollowing() {
        let text = (0..<100).map { _ in "123456789\n" }.joined() // 1000 bytes
        let document = OutputDocument(source: MemoryOutputSource(text))
        let layout = OutputLayout.unwrapped(height: 10)
        _ = document.viewport(layout)
        #expect(document.statusText == "1000 B · 10%")
        document.scroll(.end, in: layout)
        _ = document.viewport(layout)
        #expect(document.statusText == "1000 B · 100% · following")
        #expect(OutputDocument.sizeText(1_288_490_189) == "1.2 GiB")
        #expect(OutputDocument.sizeText(73 << 20) == "73 MiB")
        #expect(OutputDocument.sizeText(10_230) == "10 KiB")
    }
}
