import Glibc
import Testing
@testable import TaskmonMonitor

/// Widths must be glibc's wcwidth in a UTF-8 locale (what ncursesw uses), whatever the
/// locale of this process: tests run in the C locale, where wcwidth knows no CJK at all.
@Suite struct TerminalTextWidthTests {
    typealias Check = TextCheck

    @Test func widthsAreTheUTF8LocalesEvenInTheCLocale() {
        // This process never called setlocale, so it is in the C locale.
        #expect(String(cString: setlocale(LC_CTYPE, nil)) == "C")
        #expect(TerminalText.width(of: "中") == 2)
        #expect(TerminalText.width(of: "é") == 1)
        #expect(TerminalText.width(of: "\u{301}") == 0)
        #expect(TerminalText.width(of: "🙂") == 2)
        #expect(TerminalText.width(of: "a") == 1)
        #expect(TerminalText.width(of: "\u{1B}") == -1)
        #expect(TerminalText.width(of: "\u{20000}") == 2)  // CJK extension B, past the cached table
        #expect(TerminalText.width(of: "\u{FF21}") == 2)  // fullwidth A
    }

    @Test func cjkTakesTwoColumnsEach() {
        let line = Check.line("日本語 text")
        #expect(line.columns == 11)
        #expect(TerminalText.displayWidth(of: "日本語 text") == 11)
        Check.expectSafe(line)
    }

    @Test func combiningMarksJoinTheCellBefore() {
        let line = Check.line("e\u{301}a\u{308}\u{323}")
        #expect(line.glyphs.count == 2)
        #expect(line.columns == 2)
        #expect(Array(line.marks(of: line.glyphs[1])) == ["\u{308}", "\u{323}"])
        #expect(line.text == "e\u{301}a\u{308}\u{323}")
        Check.expectSafe(line)
    }

    @Test func aCombiningMarkAtTheStartGetsASpaceToSitOn() {
        let line = Check.line("\u{301}x")
        #expect(line.text == " \u{301}x")
        #expect(line.columns == 2)
    }

    @Test func aCombiningMarkOnAWideCharacterJoinsIt() {
        let line = Check.line("中\u{302}x")
        #expect(line.glyphs.count == 2)
        #expect(Array(line.marks(of: line.glyphs[0])) == ["\u{302}"])
        #expect(line.columns == 3)
    }

    @Test func zalgoKeepsAtMostFourMarksACell() {
        let line = Check.line("e" + String(repeating: "\u{301}\u{302}\u{303}", count: 20) + "x")
        #expect(line.marks(of: line.glyphs[0]).count == 4)
        #expect(line.columns == 2)
    }

    @Test func zwjSequencesSplitIntoTheirParts() {
        let line = Check.line("👨‍👩‍👧!")
        #expect(line.text == "👨👩👧!")
        #expect(line.columns == 7)
        Check.expectSafe(line)
    }

    @Test func variationSelectorsSixteenAndFifteenAreDropped() {
        let heart = Check.line("❤️x")
        #expect(heart.text == "❤x")
        #expect(heart.columns == TerminalText.width(of: "❤") + 1)
        #expect(Check.line("☺︎").text == "☺")
        Check.expectSafe(heart)
    }

    @Test func skinTonesAfterAnEmojiAreDropped() {
        let line = Check.line("👍🏽 ok")
        #expect(line.text == "👍 ok")
        #expect(line.columns == 5)
        // On its own a modifier is an ordinary wide character.
        #expect(Check.line("🏽").columns == 2)
    }

    @Test func flagsBecomeTheirLetters() {
        let line = Check.line("🇺🇸🇯🇵.")
        #expect(line.text == "USJP.")
        #expect(line.columns == 5)
        #expect(Check.substitutes(line) == "USJP")
    }

    @Test func tagSequencesKeepOnlyTheirBase() {
        let line = Check.line("🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}x")
        #expect(line.text == "🏴x")
        #expect(line.columns == 3)
    }

    @Test func keycapsKeepTheirEnclosingMark() {
        let line = Check.line("1️⃣")
        #expect(line.text == "1\u{20E3}")
        #expect(line.columns == 1)
    }

    @Test func hangulJamoCompose() {
        let line = Check.line("\u{1100}\u{1161}\u{11A8}가")
        #expect(line.columns == 4)
        #expect(line.glyphs.count == 2)
        Check.expectSafe(line)
    }

    @Test func unprintableCodePointsAreShownByNumber() {
        #expect(Check.line("a\u{2028}b").text == "a<U+2028>b")
        #expect(Check.line("\u{378}").text == "<U+0378>")
        #expect(Check.line("\u{10FFFF}").text == "<U+10FFFF>")
        #expect(Check.line("\u{FFFF}").text == "<U+FFFF>")
        #expect(Check.substitutes(Check.line("a\u{2029}b")) == "<U+2029>")
    }

    @Test func privateUseCharactersStay() {
        // Nerd-font icons live here; glibc gives them one column.
        #expect(Check.line("\u{E0A0} main").columns == 6)
    }

    @Test func displayWidthAgreesWithTheLine() {
        for text in ["", "abc", "中文", "e\u{301}", "👨‍👩‍👧", "a\tb", "\u{1B}[31mred", "x\u{0}y", "🇺🇸", "\u{202E}x"] {
            #expect(TerminalText.displayWidth(of: text) == TerminalText.displayLine(text).columns, "\(text)")
        }
    }
}
