import Testing
@testable import TaskmonMonitor

/// SGR kept as colours in output: parsed, mapped to the terminal's depth, laid over the screen's style.
@Suite struct TerminalTextSGRTests {
    typealias Check = TextCheck

    private func style(_ input: String, depth: ColorDepth = .twoFiftySix) -> InlineStyle {
        let line = Check.line(input + "x", .output(colorDepth: depth))
        return line.style(of: line.glyphs.last!)
    }

    @Test func basicColoursAndReset() {
        let line = Check.line("\u{1B}[31mred\u{1B}[0m plain")
        #expect(line.text == "red plain")
        #expect(line.style(of: line.glyphs[0]).foreground == .index(1))
        #expect(line.style(of: line.glyphs[3]) == .none)
    }

    @Test func foregroundAndBackgroundCodes() {
        #expect(style("\u{1B}[37m").foreground == .index(7))
        #expect(style("\u{1B}[91m").foreground == .index(9))
        #expect(style("\u{1B}[97m").foreground == .index(15))
        #expect(style("\u{1B}[44m").background == .index(4))
        #expect(style("\u{1B}[101m").background == .index(9))
        #expect(style("\u{1B}[31;42m") == InlineStyle(foreground: .index(1), background: .index(2)))
        #expect(style("\u{1B}[31m\u{1B}[39m").foreground == nil)
        #expect(style("\u{1B}[41m\u{1B}[49m").background == nil)
    }

    @Test func indexedAndTrueColour() {
        #expect(style("\u{1B}[38;5;208m").foreground == .index(208))
        #expect(style("\u{1B}[48;5;17m").background == .index(17))
        #expect(style("\u{1B}[38;2;255;135;0m").foreground == .index(208))
        #expect(style("\u{1B}[48;2;128;128;128m").background == .index(244))
        // The colon forms, with and without a colour space.
        #expect(style("\u{1B}[38:5:196m").foreground == .index(196))
        #expect(style("\u{1B}[38:2::255:135:0m").foreground == .index(208))
        #expect(style("\u{1B}[38:2:255:135:0m").foreground == .index(208))
        // Parameters after an extended colour still count.
        #expect(style("\u{1B}[38;5;208;1m") == InlineStyle(foreground: .index(208), attributes: .bold))
    }

    @Test func coloursAreMappedToTheTerminalsDepth() {
        #expect(style("\u{1B}[38;2;250;10;10m", depth: .sixteen).foreground == .index(9))
        #expect(style("\u{1B}[38;5;196m", depth: .sixteen).foreground == .index(9))
        #expect(style("\u{1B}[91m", depth: .eight).foreground == .index(1))
        // No colours at all: the screen's own style shows; attributes still count.
        #expect(style("\u{1B}[1;31;44m", depth: .monochrome) == InlineStyle(attributes: .bold))
    }

    @Test func attributesAndTheirResets() {
        #expect(style("\u{1B}[1;2;3;4;7m").attributes == [.bold, .dim, .italic, .underline, .reverse])
        #expect(style("\u{1B}[1;2m\u{1B}[22m").attributes == [])
        #expect(style("\u{1B}[3m\u{1B}[23m").attributes == [])
        #expect(style("\u{1B}[4m\u{1B}[24m").attributes == [])
        #expect(style("\u{1B}[4m\u{1B}[4:0m").attributes == [])
        #expect(style("\u{1B}[4:3m").attributes == .underline)
        #expect(style("\u{1B}[7m\u{1B}[27m").attributes == [])
        #expect(style("\u{1B}[1;31m\u{1B}[m") == .none)
        #expect(style("\u{1B}[31m\u{1B}[;1m") == InlineStyle(attributes: .bold))
        #expect(style("\u{1B}[5;8;9m") == .none)  // blink, hidden, strike: ignored
    }

    @Test func malformedAndPrivateSequencesChangeNothing() {
        #expect(style("\u{1B}[38;5m") == .none)
        #expect(style("\u{1B}[38;2;300;0;0m") == .none)
        #expect(style("\u{1B}[?31m") == .none)
        #expect(style("\u{1B}[>4;2m") == .none)
        #expect(style("\u{1B}[31 m") == .none)  // an intermediate byte: not SGR
        #expect(style("\u{1B}[" + String(repeating: "9", count: 100) + "m") == .none)
        #expect(style("\u{1B}[" + String(repeating: "1;", count: 100) + "31m").attributes == .bold)
    }

    @Test func inlineStylesLayOverTheScreensStyle() {
        let base = Style(foreground: .index(2), background: .index(0), attributes: .underline)
        #expect(InlineStyle(foreground: .index(1)).applied(to: base)
                == Style(foreground: .index(1), background: .index(0), attributes: .underline))
        #expect(InlineStyle(attributes: .bold).applied(to: base).attributes == [.underline, .bold])
        #expect(InlineStyle.none.applied(to: base) == base)
    }

    @Test func substitutesKeepTheColourAroundThem() {
        let line = Check.line("\u{1B}[32m\u{0}")
        #expect(line.text == "^@")
        #expect(line.glyphs.allSatisfy { line.style(of: $0).foreground == .index(2) })
    }

    @Test func stylesSurviveAClippedWindow() {
        let line = Check.line("\u{1B}[31mabc\u{1B}[32mdef", start: 2, max: 3)
        #expect(line.text == "cde")
        #expect(line.glyphs.map { line.style(of: $0).foreground } == [.index(1), .index(2), .index(2)])
    }
}
