/// Makes untrusted text (task output, names, messages) safe to draw and measures it exactly.
///
/// What reaches the screen never moves the cursor or changes the terminal's state:
/// - invalid UTF-8 → U+FFFD, one per maximal invalid subsequence (marked as a substitute);
/// - escape sequences (CSI, OSC, DCS, SOS, PM, APC, two-byte ESC, and their C1 forms) are
///   removed whole; SGR colours may be kept (`Options.keepsColors`). An unterminated
///   sequence swallows at most `Options.sequenceLimit` scalars, then the rest shows;
/// - other C0 controls and DEL → caret notation (`^@`, `^[`, `^?`), other C1 controls → `<9b>`,
///   code points wcwidth calls unprintable → `<U+2028>`; all plain ASCII, marked as substitutes;
/// - tab → spaces to the next multiple of `Options.tabWidth`; `\r` → back to column 0, later
///   text overwriting earlier (output) or `^M` (labels, so a name cannot hide its start);
/// - bidi embeddings, overrides and isolates → `<RLO>` and friends (they could reorder what is
///   around them); other zero-width format characters (LRM, RLM, ALM, ZWSP, ZWJ, word joiner,
///   BOM, tags, soft hyphen) and VS15/VS16 are dropped;
/// - emoji are split where terminals disagree: ZWJ sequences become their parts, skin tones
///   after an emoji are dropped, regional indicators become their letters (marked);
/// - combining marks join the cell before (a space at the start of a line), at most 4 a cell.
///
/// Widths are glibc's `wcwidth` in a UTF-8 locale, whatever the process's locale: what
/// ncursesw uses to place characters, so columns never drift.
package enum TerminalText {
    /// How to read a piece of text.
    package struct Options: Hashable, Sendable {
        /// Keep SGR colours and attributes as `InlineStyle`s (output); otherwise they are removed too.
        package var keepsColors: Bool
        /// The terminal's colours: kept SGR colours are mapped down to these.
        package var colorDepth: ColorDepth
        /// `\r` returns to column 0 and later text overwrites (progress bars show their final
        /// state), instead of showing as `^M`.
        package var overlaysCarriageReturns: Bool
        /// Tab stops every this many columns, counted from the start of the line.
        package var tabWidth: Int
        /// How many scalars an unterminated escape sequence may swallow before the rest shows.
        package var sequenceLimit: Int

        /// Options as given; see `label` and `output(colorDepth:)` for the usual ones.
        package init(keepsColors: Bool, colorDepth: ColorDepth = .monochrome, overlaysCarriageReturns: Bool,
                    tabWidth: Int = 8, sequenceLimit: Int = 4096) {
            self.keepsColors = keepsColors
            self.colorDepth = colorDepth
            self.overlaysCarriageReturns = overlaysCarriageReturns
            self.tabWidth = tabWidth
            self.sequenceLimit = sequenceLimit
        }

        /// For names, messages and other one-line labels: no colours, `\r` shown as `^M`.
        package static let label = Options(keepsColors: false, overlaysCarriageReturns: false)

        /// For task output: colours kept (mapped to `colorDepth`), `\r` overlays.
        package static func output(colorDepth: ColorDepth) -> Options {
            Options(keepsColors: true, colorDepth: colorDepth, overlaysCarriageReturns: true)
        }
    }

    // MARK: - Lines of output

    /// The columns [`startColumn`, `startColumn + maxColumns`) of one line of output bytes
    /// (without its `\n`; the caller splits lines, and each line starts from a clean state).
    ///
    /// Cost grows with the bytes up to the last visible column: the scan stops there unless a
    /// `\r` later in the line could still overwrite what is visible.
    package static func displayLine(_ bytes: UnsafeRawBufferPointer, options: Options, startColumn: Int = 0,
                                   maxColumns: Int = .max) -> DisplayLine {
        var builder = LineBuilder(startColumn: startColumn, maxColumns: maxColumns)
        var scanner = TextScanner(options: options)
        let complete = scanner.scan(bytes.assumingMemoryBound(to: UInt8.self), into: &builder)
        return builder.finish(complete: complete)
    }

    /// `displayLine(_:options:startColumn:maxColumns:)` for bytes in an array.
    package static func displayLine(_ bytes: ArraySlice<UInt8>, options: Options, startColumn: Int = 0,
                                   maxColumns: Int = .max) -> DisplayLine {
        bytes.withUnsafeBytes { displayLine($0, options: options, startColumn: startColumn, maxColumns: maxColumns) }
    }

    /// `displayLine(_:options:startColumn:maxColumns:)` for a string (a label, by default).
    package static func displayLine(_ text: String, options: Options = .label, startColumn: Int = 0,
                                   maxColumns: Int = .max) -> DisplayLine {
        var text = text
        return text.withUTF8 {
            displayLine(UnsafeRawBufferPointer($0), options: options, startColumn: startColumn, maxColumns: maxColumns)
        }
    }

    // MARK: - Labels

    /// Sanitized text and the columns it takes.
    package struct SanitizedText: Hashable, Sendable {
        /// Safe to hand to the terminal as it is.
        package var text: String
        /// Its width in columns.
        package var columns: Int
    }

    /// A label (task name, message) made safe to draw, with its width.
    package static func sanitize(_ label: String, options: Options = .label) -> SanitizedText {
        let line = displayLine(label, options: options)
        return SanitizedText(text: line.text, columns: line.columns)
    }

    /// The columns `text` takes once sanitized.
    package static func displayWidth(of text: String, options: Options = .label) -> Int {
        var text = text
        return text.withUTF8 { buffer in
            var sink = MeasuringSink()
            var scanner = TextScanner(options: options)
            _ = scanner.scan(buffer, into: &sink)
            return sink.columns
        }
    }

    /// A label sanitized and cut to at most `columns` columns, ending in an ellipsis when cut
    /// (`…`, or `~` where the terminal cannot draw it: `asciiEllipsis`).
    package static func truncate(_ label: String, toColumns columns: Int, asciiEllipsis: Bool = false,
                                options: Options = .label) -> SanitizedText {
        let line = displayLine(label, options: options, maxColumns: columns)
            .truncated(toColumns: columns, asciiEllipsis: asciiEllipsis)
        return SanitizedText(text: line.text, columns: line.columns)
    }

    /// glibc's `wcwidth` of one scalar in a UTF-8 locale: 0, 1, 2, or -1 (not printable).
    package static func width(of scalar: Unicode.Scalar) -> Int {
        ColumnWidth.of(scalar.value)
    }
}
