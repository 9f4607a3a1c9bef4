import Foundation
import Testing
@testable import TaskmonMonitor

/// Windows (prefix, horizontal scroll), truncation with an ellipsis, wrapping, and speed.
@Suite struct TerminalTextLayoutTests {
    typealias Check = TextCheck

    @Test func aPrefixStopsAtMaxColumns() {
        let line = Check.line("abcdef", max: 3)
        #expect(line.text == "abc")
        #expect(line.hasMore)
        #expect(!Check.line("abc", max: 3).hasMore)
        // Trailing sequences after an exact fit are not "more".
        #expect(!Check.line("abc\u{1B}[0m", max: 3).hasMore)
    }

    @Test func aWideCharacterIsNeverSplitAtTheRightEdge() {
        let line = Check.line("ab中", max: 3)
        #expect(line.text == "ab ")
        #expect(line.columns == 3)
        #expect(line.hasMore)
        Check.expectSafe(line)
    }

    @Test func horizontalScrollingStartsAtAColumn() {
        #expect(Check.line("abcdef", start: 2, max: 2).text == "cd")
        // A wide character cut by the left edge leaves a blank.
        let line = Check.line("中文x", start: 1)
        #expect(line.text == " 文x")
        #expect(line.columns == 4)
        #expect(line.startColumn == 1)
        // Tab stops stay where they are on the whole line.
        #expect(Check.line("a\tb", start: 4).text == "    b")
        #expect(Check.line("abc", start: 10).columns == 0)
    }

    @Test func overlayWorksInsideAWindow() {
        #expect(Check.line("xxxxxxxxxx\rab", max: 4).text == "abxx")
        #expect(Check.line("xxxxxxxxxx\rabcdef", start: 4, max: 4).text == "efxx")
    }

    @Test func aHugeLineIsCutAtTheColumnsAsked() throws {
        // That only the prefix is read is the benchmark's to show; here, that the cut is right.
        let huge = [UInt8](repeating: 0x41, count: 10 << 20)
        let line = Check.line(huge, max: 200)
        #expect(line.columns == 200)
        #expect(line.hasMore)
    }

    @Test func aHugeProgressBarShowsItsFinalState() {
        var bytes: [UInt8] = []
        for step in 0..<100_000 { bytes += Array("\rprogress \(step)".utf8) }
        bytes += Array("\rDONE".utf8)
        let line = Check.line(bytes, max: 40)
        #expect(line.text == "DONEress 99999")
    }

    @Test func sanitizesManyOrdinaryLinesExactly() {
        // 1 MB of ordinary output in 80-byte lines, each drawn 200 columns wide. How fast this
        // goes is the benchmark's to say (`taskmon-bench monitor`): a timing floor here failed
        // on a loaded machine without anything being wrong.
        let lineBytes = Array(String(repeating: "0123456789abcdefghij", count: 4).utf8)
        let lines = 1_000_000 / lineBytes.count
        var columns = 0
        lineBytes.withUnsafeBytes { buffer in
            for _ in 0..<lines {
                columns += TerminalText.displayLine(buffer, options: Check.output, maxColumns: 200).columns
            }
        }
        #expect(columns == lines * 80)
    }

    @Test func truncationEndsInAnEllipsis() {
        #expect(TerminalText.truncate("hello world", toColumns: 8).text == "hello w…")
        #expect(TerminalText.truncate("hello world", toColumns: 8).columns == 8)
        #expect(TerminalText.truncate("hello world", toColumns: 8, asciiEllipsis: true).text == "hello w~")
        #expect(TerminalText.truncate("hello", toColumns: 5).text == "hello")
        #expect(TerminalText.truncate("hello", toColumns: 1).text == "…")
        #expect(TerminalText.truncate("hello", toColumns: 0).text == "")
        // A wide character that would straddle the ellipsis goes whole.
        #expect(TerminalText.truncate("中文中文", toColumns: 5).text == "中文…")
        #expect(TerminalText.truncate("中文中文", toColumns: 4).text == "中…")
        #expect(TerminalText.truncate("中文中文", toColumns: 4).columns == 3)
        // Hostile text is sanitized first, and the ellipsis counts what is shown.
        #expect(TerminalText.truncate("\u{1B}]0;x\u{7}ab\u{0}cd", toColumns: 4).text == "ab^…")
    }

    @Test func wrappingNeverSplitsAWideCharacter() {
        let line = Check.line("ab中cd")
        let rows = line.rows(width: 3)
        #expect(rows == [0..<2, 2..<4, 4..<5])
        #expect(rows.map { line.slice($0).text } == ["ab", "中c", "d"])
        #expect(rows.allSatisfy { line.slice($0).columns <= 3 })
        #expect(Check.line("abcdefgh").rows(width: 3) == [0..<3, 3..<6, 6..<8])
        #expect(Check.line("").rows(width: 10) == [0..<0])
        #expect(Check.line("中中").rows(width: 1) == [0..<1, 1..<2])
        #expect(line.slice(2..<4).startColumn == 2)
    }

    @Test func labelsAreSanitizedWithTheirWidth() {
        let label = TerminalText.sanitize("job\u{1B}[2J\u{7}名前")
        #expect(label.text == "job^G名前")
        #expect(label.columns == 9)
    }
}

@Suite struct TerminalTextSearchTests {
    @Test func matchesAreFoundAsColumnRanges() {
        let line = TerminalText.displayLine("中 Error: error\u{1B}[31m ERROR")
        #expect(line.columnRanges(of: "error") == [3..<8, 10..<15, 16..<21])
        #expect(line.columnRanges(of: "error", ignoringCase: false) == [10..<15])
        #expect(line.columnRanges(of: "中") == [0..<2])
        #expect(line.columnRanges(of: "").isEmpty)
        #expect(TerminalText.displayLine("aaaa").columnRanges(of: "aa") == [0..<2, 2..<4])
    }

    @Test func aMatchIsHighlightedOnTheCanvas() {
        var canvas = Canvas(width: 12, height: 1)
        let line = TerminalText.displayLine("find me here")
        canvas.put(line, x: 0, y: 0, style: .plain)
        for range in line.columnRanges(of: "me") {
            canvas.restyle(row: 0, from: range.lowerBound, width: range.count) { $0.adding(.reverse) }
        }
        #expect(canvas.text(ofRow: 0) == "find me here")
        #expect((0..<12).filter { canvas.style(atX: $0, y: 0).attributes == .reverse } == [5, 6])
    }
}
