import Testing
@testable import TaskmonMonitor

/// Shared checks for the TerminalText and Canvas tests.
enum TextCheck {
    static let output = TerminalText.Options.output(colorDepth: .twoFiftySix)

    static func line(_ bytes: [UInt8], _ options: TerminalText.Options = output, start: Int = 0,
                     max: Int = .max) -> DisplayLine {
        TerminalText.displayLine(bytes[...], options: options, startColumn: start, maxColumns: max)
    }

    static func line(_ text: String, _ options: TerminalText.Options = output, start: Int = 0,
                     max: Int = .max) -> DisplayLine {
        line(Array(text.utf8), options, start: start, max: max)
    }

    /// Scalars that must never reach the terminal: they move the cursor, change its state,
    /// or reorder or hide text.
    static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00..<0x20, 0x7F...0x9F: return true  // C0, DEL, C1
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF: return true  // bidi, zero-width
        case 0xFE0E, 0xFE0F, 0xE0000...0xE007F: return true  // VS15/16, tags
        default: return false
        }
    }

    /// Nothing forbidden; every glyph 1 or 2 columns as wcwidth says; marks zero-width;
    /// the widths add up to `columns`.
    static func expectSafe(_ line: DisplayLine, sourceLocation: SourceLocation = #_sourceLocation) {
        var total = 0
        for glyph in line.glyphs {
            #expect(!isForbidden(glyph.scalar), "forbidden U+\(String(glyph.scalar.value, radix: 16))",
                    sourceLocation: sourceLocation)
            #expect(glyph.width == TerminalText.width(of: glyph.scalar), "width of U+\(String(glyph.scalar.value, radix: 16))",
                    sourceLocation: sourceLocation)
            for mark in line.marks(of: glyph) {
                #expect(!isForbidden(mark), sourceLocation: sourceLocation)
                #expect(TerminalText.width(of: mark) == 0, sourceLocation: sourceLocation)
            }
            total += glyph.width
        }
        #expect(total == line.columns, sourceLocation: sourceLocation)
    }

    /// The text of the substitutes only (what is drawn reversed).
    static func substitutes(_ line: DisplayLine) -> String {
        String(String.UnicodeScalarView(line.glyphs.filter(\.isSubstitute).map(\.scalar)))
    }
}
