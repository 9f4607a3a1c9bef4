import CNCurses
import Glibc
import Testing
import TaskmonKit
@testable import TaskmonMonitor

@Suite struct ThemeSymbolTests {
    /// Each chosen scalar's East_Asian_Width, looked up in Unicode's EastAsianWidth.txt
    /// (checked against Python's unicodedata, Unicode 14). N = neutral: one column in every
    /// terminal. A (ambiguous, like ● ○ ◆) would be two columns in CJK locales; W/F are wide.
    static let eastAsianWidth: [UInt32: String] = [
        0x25CC: "N",  // ◌ DOTTED CIRCLE
        0x22EF: "N",  // ⋯ MIDLINE HORIZONTAL ELLIPSIS
        0x25BB: "N",  // ▻ WHITE RIGHT-POINTING POINTER
        0x25BA: "N",  // ► BLACK RIGHT-POINTING POINTER
        0x2296: "N",  // ⊖ CIRCLED MINUS
        0x21BA: "N",  // ↺ ANTICLOCKWISE OPEN CIRCLE ARROW
        0x2298: "N",  // ⊘ CIRCLED DIVISION SLASH
        0x22A0: "N",  // ⊠ SQUARED TIMES
        0x2713: "N",  // ✓ CHECK MARK (not an emoji, unlike ✔ U+2714)
        0x25F7: "N",  // ◷ WHITE CIRCLE WITH UPPER RIGHT QUADRANT
        0x2717: "N",  // ✗ BALLOT X
    ]

    /// Scalars with an emoji presentation (emoji-data.txt, Emoji=Yes) near the ones we use:
    /// some terminals draw these two columns wide, so none may appear in the set.
    static let emojiNeighbours: Set<UInt32> = [0x2714, 0x2716, 0x274C, 0x25B6, 0x25C0, 0x23F8, 0x23F9, 0x26A0, 0x21A9]

    static func scalars(_ symbols: StatusSymbols) -> [Unicode.Scalar] {
        TaskStatus.allCases.map { symbols.symbol(for: $0).unicodeScalars.first! }
    }

    @Test func eachSetHasElevenDistinctSingleScalarSymbols() {
        for symbols in [StatusSymbols.unicode, .ascii] {
            let all = TaskStatus.allCases.map { symbols.symbol(for: $0) }
            #expect(Set(all).count == 11)
            #expect(all.allSatisfy { $0.unicodeScalars.count == 1 })
        }
        #expect(Self.scalars(.ascii).allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7f })
        #expect(StatusSymbols.ascii.isASCII && !StatusSymbols.unicode.isASCII)
    }

    @Test func unicodeSymbolsAreNeutralWidthAndNotEmoji() {
        let scalars = Self.scalars(.unicode)
        #expect(Set(scalars.map(\.value)) == Set(Self.eastAsianWidth.keys))
        for scalar in scalars {
            #expect(Self.eastAsianWidth[scalar.value] == "N", "U+\(String(scalar.value, radix: 16, uppercase: true))")
            #expect(!Self.emojiNeighbours.contains(scalar.value))
            #expect(!scalar.properties.isEmojiPresentation)
            #expect(!scalar.properties.isEmoji, "U+\(String(scalar.value, radix: 16, uppercase: true)) has an emoji form")
        }
    }

    @Test func unicodeSymbolsAreOneColumnInGlibc() throws {
        // wcwidth follows LC_CTYPE; C.UTF-8 is always present on glibc 2.35+.
        let previous = String(cString: setlocale(LC_CTYPE, nil))
        defer { _ = setlocale(LC_CTYPE, previous) }
        try #require(setlocale(LC_CTYPE, "C.UTF-8") != nil)
        for scalar in Self.scalars(.unicode) {
            #expect(cncurses_wcwidth(wchar_t(scalar.value)) == 1, "U+\(String(scalar.value, radix: 16))")
        }
    }

    @Test func asciiForConsolesAndNonUTF8Locales() {
        let utf8 = ["LANG": "en_US.UTF-8"]
        #expect(StatusSymbols.forTerminal(environment: utf8.merging(["TERM": "xterm-256color"]) { $1 }) == .unicode)
        #expect(StatusSymbols.forTerminal(environment: utf8.merging(["TERM": "linux"]) { $1 }) == .ascii)
        #expect(StatusSymbols.forTerminal(environment: utf8.merging(["TERM": "linux-16color"]) { $1 }) == .ascii)
        #expect(StatusSymbols.forTerminal(environment: utf8.merging(["TERM": "vt100"]) { $1 }) == .ascii)
        #expect(StatusSymbols.forTerminal(environment: utf8.merging(["TERM": "vte-256color"]) { $1 }) == .unicode)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "xterm", "LANG": "C"]) == .ascii)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "xterm", "LANG": "C"], localeIsUTF8: true) == .unicode)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "xterm", "LC_ALL": "C", "LANG": "en_US.UTF-8"]) == .ascii)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "xterm", "LC_ALL": "", "LC_CTYPE": "C.utf8"]) == .unicode)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "linux", "LANG": "C.UTF-8", "TASKMON_SYMBOLS": "unicode"]) == .unicode)
        #expect(StatusSymbols.forTerminal(environment: ["TERM": "xterm", "LANG": "C.UTF-8", "TASKMON_SYMBOLS": "ascii"]) == .ascii)
    }
}
