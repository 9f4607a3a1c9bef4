import Testing
@testable import TaskmonMonitor

/// Hostile input: each case must come out with nothing that moves the cursor or changes the
/// terminal, exact widths, and nothing after the hostile part lost.
@Suite struct TerminalTextTests {
    typealias Check = TextCheck

    @Test func plainASCIIPassesThrough() {
        let line = Check.line("hello, world")
        #expect(line.text == "hello, world")
        #expect(line.columns == 12)
        #expect(!line.hasMore)
        Check.expectSafe(line)
    }

    @Test(arguments: [
        ("clear screen", "a\u{1B}[2Jb\u{1B}[Hc", "abc"),
        ("cursor moves", "a\u{1B}[10;20Hb\u{1B}[5Ac\u{1B}[3D\u{1B}[Kd", "abcd"),
        ("alternate screen", "a\u{1B}[?1049hb\u{1B}[?1049lc", "abc"),
        ("scroll region and modes", "a\u{1B}[1;5rb\u{1B}[?25lc\u{1B}[?1000hd", "abcd"),
        ("title with BEL", "a\u{1B}]0;owned\u{07}bc", "abc"),
        ("title with ST", "a\u{1B}]2;owned\u{1B}\\bc", "abc"),
        ("clipboard OSC 52", "a\u{1B}]52;c;cm0gLXJmIC8=\u{07}bc", "abc"),
        ("hyperlink OSC 8", "\u{1B}]8;;http://evil\u{1B}\\abc\u{1B}]8;;\u{1B}\\", "abc"),
        ("DCS", "a\u{1B}P1$r0m\u{1B}\\bc", "abc"),
        ("APC", "a\u{1B}_Gf=100;AAAA\u{1B}\\bc", "abc"),
        ("PM and SOS", "a\u{1B}^private\u{1B}\\b\u{1B}Xstring\u{1B}\\c", "abc"),
        ("two-byte escapes", "a\u{1B}7b\u{1B}8c\u{1B}cd\u{1B}(0e\u{1B}#8f", "abcdef"),
        ("C1 CSI", "a\u{9B}2Jbc", "abc"),
        ("C1 OSC ended by C1 ST", "a\u{9D}0;title\u{9C}bc", "abc"),
        ("C1 DCS", "a\u{90}payload\u{9C}bc", "abc"),
    ])
    func escapeSequencesAreRemovedWhole(name: String, input: String, expected: String) {
        let line = Check.line(input)
        Check.expectSafe(line)
        #expect(line.text == expected, "\(name)")
        #expect(line.columns == expected.count)
        #expect(Check.substitutes(line).isEmpty)
    }

    @Test func escapeInsideAnOSCStartsANewSequence() {
        // ESC not followed by `\` ends the string and begins a sequence of its own.
        let line = Check.line("a\u{1B}]0;title\u{1B}[31mred")
        #expect(line.text == "ared")
        #expect(line.style(of: line.glyphs[1]).foreground == .index(1))
    }

    @Test func cancelAndSubstituteAbortSequences() {
        #expect(Check.line("a\u{1B}[12\u{18}bc").text == "abc")
        #expect(Check.line("a\u{1B}]0;x\u{1A}bc").text == "abc")
    }

    @Test func nonASCIIBreaksOffAControlSequence() {
        // The é is text, not part of the CSI: it must not be lost.
        let line = Check.line("a\u{1B}[1é2m")
        #expect(line.text == "aé2m")
        // A bare ESC before text shows, so the break is visible.
        #expect(Check.line("a\u{1B}é").text == "a^[é")
        Check.expectSafe(line)
    }

    @Test func unterminatedSequencesAtTheEndAreConsumed() {
        #expect(Check.line("abc\u{1B}").text == "abc")
        #expect(Check.line("abc\u{1B}[38;5").text == "abc")
        #expect(Check.line("abc\u{1B}]0;never ends").text == "abc")
        #expect(Check.line("abc\u{1B}P never ends").text == "abc")
    }

    @Test func anUnterminatedOSCSwallowsAtMostTheLimit() {
        let payload = String(repeating: "x", count: 5000)
        let line = Check.line("a\u{1B}]0;" + payload + "tail")
        // 4096 scalars go (counting "0;"), then the rest shows again.
        #expect(line.text == "a" + String(repeating: "x", count: 5000 - 4094) + "tail")
        Check.expectSafe(line)
        var options = Check.output
        options.sequenceLimit = 10
        #expect(Check.line("a\u{1B}P" + "0123456789" + "visible", options).text == "avisible")
    }

    @Test func c0ControlsAreShownInCaretNotation() {
        let line = Check.line("a\u{0}b\u{7}c\u{8}d\u{1B}\u{1B}[me\u{7F}f\u{0B}\u{0C}g")
        #expect(line.text == "a^@b^Gc^Hd" + "e^?f^K^Lg")
        #expect(Check.substitutes(line) == "^@^G^H^?^K^L")
        Check.expectSafe(line)
    }

    @Test func newlineInsideALineIsShown() {
        // The caller splits lines; one that still contains `\n` shows it rather than breaking.
        let line = Check.line("a\nb")
        #expect(line.text == "a^Jb")
        Check.expectSafe(line)
    }

    @Test func c1ControlsAreShownAsHex() {
        let line = Check.line("a\u{85}b\u{8D}c\u{9C}d")
        #expect(line.text == "a<85>b<8d>c<9c>d")
        #expect(line.glyphs.filter(\.isSubstitute).count == 12)
        Check.expectSafe(line)
    }

    @Test func invalidUTF8BecomesOneReplacementPerMaximalSubpart() {
        let cases: [[UInt8]] = [
            [0x61, 0xFF, 0x62],  // never valid
            [0x61, 0xC3],  // truncated at the end
            [0x61, 0xE2, 0x82, 0x62],  // truncated in the middle: one U+FFFD
            [0xC0, 0xAF],  // overlong
            [0xED, 0xA0, 0x80],  // a surrogate
            [0xF4, 0x90, 0x80, 0x80],  // past U+10FFFF
            [0xE0, 0x80, 0x80],
            [0xF0, 0x9F, 0x99],  // a truncated emoji
            [0x80, 0x80, 0xBF],
        ]
        for bytes in cases {
            let line = Check.line(bytes)
            let expected = String(decoding: bytes, as: UTF8.self)
            #expect(line.text == expected, "\(bytes)")
            Check.expectSafe(line)
            let replacements = line.glyphs.filter { $0.scalar == "\u{FFFD}" }
            #expect(replacements.allSatisfy { $0.isSubstitute })
        }
    }

    @Test func decoderAgreesWithSwiftOnRandomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            // Bytes from 0xA0 up, so no controls or escapes mix in; plus some ASCII letters.
            let bytes = (0..<Int.random(in: 1...40, using: &generator)).map { _ -> UInt8 in
                Bool.random(using: &generator) ? UInt8.random(in: 0x80...0xFF, using: &generator) : 0x41
            }
            var scalars: [UInt32] = []
            bytes.withUnsafeBufferPointer { buffer in
                var index = 0
                while index < buffer.count {
                    let decoded = TextScanner.decodeUTF8(buffer, at: index)
                    scalars.append(decoded.value)
                    index += decoded.length
                }
            }
            #expect(scalars == String(decoding: bytes, as: UTF8.self).unicodeScalars.map(\.value), "\(bytes)")
        }
    }

    @Test func bidiControlsNeverReachTheTerminal() {
        // Trojan Source: an override that would show "admin" backwards.
        let line = Check.line("user\u{202E}nimda\u{202C} x\u{2066}y\u{2069}\u{200E}\u{200F}\u{061C}z")
        #expect(line.text == "user<RLO>nimda<PDF> x<LRI>y<PDI>z")
        Check.expectSafe(line)
        for scalar in [0x202A, 0x202B, 0x202D, 0x2067, 0x2068] as [UInt32] {
            let one = Check.line(String(Unicode.Scalar(scalar)!))
            #expect(one.glyphs.allSatisfy { $0.isSubstitute })
            Check.expectSafe(one)
        }
    }

    @Test func zeroWidthFormatCharactersAreDropped() {
        let line = Check.line("a\u{200B}b\u{200C}c\u{2060}d\u{FEFF}e\u{AD}f\u{E0041}g")
        #expect(line.text == "abcdefg")
        #expect(line.columns == 7)
    }

    @Test func tabsGoToTheNextMultipleOfEight() {
        #expect(Check.line("a\tb").text == "a       b")
        #expect(Check.line("12345678\tx").text == "12345678        x")
        #expect(Check.line("\t").columns == 8)
        // Tab stops count columns, not characters: after a wide character too.
        #expect(Check.line("中\tx").columns == 9)
        #expect(Check.line("中\tx").text == "中      x")
    }

    @Test func carriageReturnOverlaysLikeATerminal() {
        let progress = Check.line("progress  10%\rprogress  50%\rprogress 100%")
        #expect(progress.text == "progress 100%")
        // A shorter rewrite leaves the tail of the longer one, as on a terminal.
        #expect(Check.line("downloading...\rdone").text == "doneloading...")
        #expect(Check.line("abc\r").text == "abc")
        Check.expectSafe(progress)
    }

    @Test func carriageReturnOverAWideCharacterBlanksItsOtherHalf() {
        #expect(Check.line("中文\rx").text == "x 文")
        #expect(Check.line("ab中\r x").text == " x中")
        #expect(Check.line("ab中\r  x").text == "  x ")
        Check.expectSafe(Check.line("中文\rx"))
    }

    @Test func labelsShowCarriageReturnsInsteadOfOverlaying() {
        // A name must not hide its own start.
        let line = TerminalText.displayLine("evil\rgood")
        #expect(line.text == "evil^Mgood")
    }

    @Test func coloursCanBeDroppedForLabels() {
        let label = TerminalText.sanitize("\u{1B}[31mred\u{1B}[0m name\u{1B}]0;t\u{7}")
        #expect(label.text == "red name")
        #expect(label.columns == 8)
        let line = TerminalText.displayLine("\u{1B}[31mred")
        #expect(line.style(of: line.glyphs[0]) == .none)
    }

    @Test func everyOutputIsSafeForAMixOfEverything() {
        var generator = SystemRandomNumberGenerator()
        let pieces: [String] = ["a", "中", "é", "e\u{301}", "\u{1B}[31m", "\u{1B}]0;x\u{7}", "\u{1B}", "\u{9B}", "\r",
                                "\t", "\u{0}", "\u{202E}", "👨‍👩‍👧", "🇺🇸", "❤️", "\u{7F}", "\u{85}", "\u{2028}", "👍🏽"]
        for _ in 0..<300 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 1...30, using: &generator) {
                if Int.random(in: 0..<8, using: &generator) == 0 {
                    bytes.append(UInt8.random(in: 0...255, using: &generator))
                } else {
                    bytes += Array(pieces.randomElement(using: &generator)!.utf8)
                }
            }
            for options in [Check.output, .label] {
                let line = Check.line(bytes, options)
                Check.expectSafe(line)
                // Sanitizing what was sanitized changes nothing.
                if !options.overlaysCarriageReturns {
                    #expect(TerminalText.sanitize(line.text).text == line.text)
                }
                let cut = Check.line(bytes, options, start: 3, max: 7)
                Check.expectSafe(cut)
                #expect(cut.columns <= 7)
            }
        }
    }
}
