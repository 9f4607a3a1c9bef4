import Glibc

/// The engine behind `TerminalText`: reads untrusted bytes the way a terminal would, and
/// hands a `GlyphSink` only what is safe to draw. Escape sequences are parsed (so that they
/// disappear whole) but never executed; SGR may be kept as an `InlineStyle`; every other
/// control becomes visible ASCII marked as a substitute. One pass, no allocation per byte.
struct TextScanner {
    private enum State {
        case ground
        /// After ESC, and after ESC plus intermediate bytes (ESC ( B …).
        case escape, escapeIntermediate
        /// Control Sequence (ESC [ or U+009B): parameters, intermediates, one final byte.
        case csi
        /// Operating System Command (ESC ] or U+009D): ends at BEL or ST.
        case osc
        /// DCS, SOS, PM, APC (ESC P/X/^/_ or their C1 forms): end at ST only.
        case controlString
        /// An ESC inside an OSC or control string: `\` makes it ST, anything else starts anew.
        case stringEscape
    }

    let options: TerminalText.Options
    /// The cursor: the column the next glyph goes to.
    private(set) var column = 0
    private var state = State.ground
    /// Scalars swallowed by the current sequence, held to `options.sequenceLimit`.
    private var sequenceLength = 0
    private var style = InlineStyle.none
    /// The last scalar seen in text, to tell whether a skin-tone modifier would join it.
    private var previous: UInt32 = 0
    private var sgr = SGRParameters()

    init(options: TerminalText.Options) {
        self.options = options
    }

    /// Scans `bytes` as one line. Returns false when it stopped early because the sink needed
    /// no more (the cursor passed `endColumn` and no `\r` follows to bring it back).
    mutating func scan<Sink: GlyphSink>(_ bytes: UnsafeBufferPointer<UInt8>, into sink: inout Sink) -> Bool {
        let count = bytes.count
        let endColumn = sink.endColumn
        var index = 0
        var carriageReturnAhead = -1  // where a `\r` at or after `index` was found, if looked for
        while index < count {
            if column >= endColumn && carriageReturnAhead < index {
                // A short tail is read anyway, so trailing resets do not count as "more".
                guard count - index > 64 else { return scanTail(bytes, from: index, into: &sink) }
                guard options.overlaysCarriageReturns,
                      let found = Self.carriageReturn(in: bytes, from: index) else { return false }
                carriageReturnAhead = found
            }
            let byte = bytes[index]
            if state == .ground && byte >= 0x20 && byte < 0x7F {
                // Printable ASCII, by far the most common: no decoding, no width lookup.
                // Up to the sink's end at most, so a 10 MB line is not read past what is shown.
                let limit = column < endColumn && endColumn - column < count - index ? index + (endColumn - column) : count
                var end = index + 1
                while end < limit && bytes[end] >= 0x20 && bytes[end] < 0x7F { end += 1 }
                // Past what the sink wants only the cursor matters (until the `\r`).
                if column < endColumn {
                    sink.putASCII(UnsafeBufferPointer(rebasing: bytes[index..<end]), column: column, style: style)
                }
                column += end - index
                previous = UInt32(bytes[end - 1])
                index = end
            } else if byte < 0x80 {
                handle(UInt32(byte), isInvalid: false, &sink)
                index += 1
            } else {
                let decoded = Self.decodeUTF8(bytes, at: index)
                handle(decoded.value, isInvalid: !decoded.isValid, &sink)
                index += decoded.length
            }
        }
        return true
    }

    private mutating func scanTail<Sink: GlyphSink>(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int,
                                                    into sink: inout Sink) -> Bool {
        var index = start
        while index < bytes.count {
            let decoded = Self.decodeUTF8(bytes, at: index)
            handle(decoded.value, isInvalid: !decoded.isValid, &sink)
            index += decoded.length
        }
        return true
    }

    private static func carriageReturn(in bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        guard let base = bytes.baseAddress,
              let found = memchr(base + index, 0x0D, bytes.count - index) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    // MARK: - UTF-8

    /// One scalar at `index`. Ill-formed input yields U+FFFD for each maximal subpart
    /// (Unicode's recommended practice, which Swift's own decoder follows too).
    static func decodeUTF8(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (value: UInt32, length: Int, isValid: Bool) {
        let lead = bytes[index]
        if lead < 0x80 { return (UInt32(lead), 1, true) }
        var needed: Int
        var value: UInt32
        // The second byte's range is narrower after some leads: no overlongs, no surrogates, nothing past U+10FFFF.
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: needed = 1; value = UInt32(lead & 0x1F)
        case 0xE0: needed = 2; value = 0; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: needed = 2; value = UInt32(lead & 0x0F)
        case 0xED: needed = 2; value = 0x0D; upper = 0x9F
        case 0xF0: needed = 3; value = 0; lower = 0x90
        case 0xF1...0xF3: needed = 3; value = UInt32(lead & 0x07)
        case 0xF4: needed = 3; value = 4; upper = 0x8F
        default: return (0xFFFD, 1, false)
        }
        var next = index + 1
        while needed > 0 {
            guard next < bytes.count else { return (0xFFFD, next - index, false) }
            let byte = bytes[next]
            guard byte >= lower && byte <= upper else { return (0xFFFD, next - index, false) }
            value = value << 6 | UInt32(byte & 0x3F)
            lower = 0x80
            upper = 0xBF
            needed -= 1
            next += 1
        }
        return (value, next - index, true)
    }

    // MARK: - Escape sequences

    private mutating func handle<Sink: GlyphSink>(_ value: UInt32, isInvalid: Bool, _ sink: inout Sink) {
        if state != .ground {
            sequenceLength += 1
            if sequenceLength > options.sequenceLimit {
                // A stray ESC ] must not hide a whole output: stop swallowing, show the rest.
                state = .ground
            } else if consumeInSequence(isInvalid ? 0xFFFD : value, &sink) {
                return
            }
        }
        ground(value, isInvalid: isInvalid, &sink)
    }

    private mutating func enter(_ newState: State) {
        state = newState
        sequenceLength = 0
        if newState == .csi { sgr.reset() }
    }

    /// Feeds one scalar to the sequence in progress; false when the scalar ended the sequence
    /// without belonging to it (it is then shown as text).
    private mutating func consumeInSequence<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) -> Bool {
        switch state {
        case .ground:
            return false
        case .escape, .escapeIntermediate:
            switch value {
            case 0x1B: enter(.escape)
            case 0x18, 0x1A: state = .ground  // CAN, SUB cancel
            case 0x00..<0x20: control(value, &sink)  // terminals act on C0 inside sequences
            case 0x20...0x2F: state = .escapeIntermediate
            case 0x7F: break
            case 0x30...0x7E:
                switch (state, value) {
                case (.escape, 0x5B): enter(.csi)  // [
                case (.escape, 0x5D): enter(.osc)  // ]
                case (.escape, 0x50), (.escape, 0x58), (.escape, 0x5E), (.escape, 0x5F): enter(.controlString)  // P X ^ _
                default: state = .ground  // a whole ESC sequence (ESC 7, ESC ( B, ESC c …): dropped
                }
            default:
                // Not ASCII: the sequence was broken off. A bare ESC before text is shown, so
                // the break is visible; the text itself follows as usual.
                if state == .escape { caret(0x1B, &sink) }
                state = .ground
                return false
            }
        case .csi:
            switch value {
            case 0x1B: enter(.escape)
            case 0x18, 0x1A: state = .ground
            case 0x00..<0x20: control(value, &sink)
            case 0x30...0x3F: sgr.add(value)
            case 0x20...0x2F: sgr.isPrivate = true  // intermediates: not SGR
            case 0x40...0x7E:
                if value == 0x6D && !sgr.isPrivate && options.keepsColors {  // m
                    sgr.finish()
                    style.apply(sgr, depth: options.colorDepth)
                }
                state = .ground
            case 0x7F: break
            default:
                state = .ground
                return false
            }
        case .osc, .controlString:
            switch value {
            case 0x07 where state == .osc: state = .ground  // BEL ends an OSC (xterm)
            case 0x9C, 0x18, 0x1A: state = .ground  // ST, CAN, SUB
            case 0x1B: state = .stringEscape
            default: break  // the payload (a title, a clipboard, sixels…) is swallowed
            }
        case .stringEscape:
            if value == 0x5C {  // ESC \ is ST
                state = .ground
            } else {
                enter(.escape)
                return consumeInSequence(value, &sink)
            }
        }
        return true
    }

    // MARK: - Text

    private mutating func ground<Sink: GlyphSink>(_ value: UInt32, isInvalid: Bool, _ sink: inout Sink) {
        if isInvalid {
            emit(0xFFFD, width: 1, isSubstitute: true, &sink)
            previous = 0xFFFD
            return
        }
        switch value {
        case 0x1B: enter(.escape)
        case 0x00..<0x20: control(value, &sink)
        case 0x20..<0x7F: emit(value, width: 1, isSubstitute: false, &sink)
        case 0x7F: caret(value, &sink)
        case 0x9B: enter(.csi)
        case 0x9D: enter(.osc)
        case 0x90, 0x98, 0x9E, 0x9F: enter(.controlString)  // DCS, SOS, PM, APC
        case 0x80...0x9F: hexByte(value, &sink)
        default: text(value, &sink)
        }
        previous = value
    }

    /// A C0 control: tab and (for output) `\r` act as on a terminal, the rest are shown.
    private mutating func control<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        switch value {
        case 0x09:
            let tabWidth = max(options.tabWidth, 1)
            let next = (column / tabWidth + 1) * tabWidth
            while column < next { emit(0x20, width: 1, isSubstitute: false, &sink) }
        case 0x0D where options.overlaysCarriageReturns:
            column = 0
        default:
            caret(value, &sink)
        }
    }

    /// A scalar from U+00A0 on.
    private mutating func text<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        switch value {
        case 0xFE0E, 0xFE0F, 0x200D:
            // VS15/VS16 and ZWJ are where terminals disagree on width: without them every
            // emoji of a ZWJ sequence stands alone, with the width wcwidth gives it.
            return
        case 0x202A...0x202E, 0x2066...0x2069:
            bidiName(value, &sink)  // could reorder the text around it: shown, never sent
            return
        case 0x1F1E6...0x1F1FF:
            // Regional indicators: 1 column to glibc, 2 to some terminals, a pair is a flag to
            // others. Their letter is 1 column everywhere (🇺🇸 shows as a marked "US").
            emit(0x41 + value - 0x1F1E6, width: 1, isSubstitute: true, &sink)
            return
        case 0x1F3FB...0x1F3FF:
            // A skin tone after an emoji would merge with it in some terminals, not in others.
            if let base = Unicode.Scalar(previous), base.properties.isEmojiModifierBase { return }
        case 0xAD:
            return  // soft hyphen: a format character, 1 column to glibc, invisible to most terminals
        default:
            break
        }
        let width = ColumnWidth.of(value)
        if width > 0 {
            emit(value, width: width, isSubstitute: false, &sink)
        } else if width == 0 {
            guard let scalar = Unicode.Scalar(value) else { return }
            // Zero-width format characters (ZWSP, LRM/RLM/ALM, word joiner, BOM, tags): dropped.
            if scalar.properties.generalCategory == .format { return }
            // A combining mark joins the cell before it; at the start of a line it gets a space.
            if column == 0 { emit(0x20, width: 1, isSubstitute: false, &sink) }
            sink.attach(scalar, column: column - 1)
        } else {
            codePoint(value, &sink)  // unassigned, line/paragraph separators, noncharacters
        }
    }

    // MARK: - Output

    private mutating func emit<Sink: GlyphSink>(_ value: UInt32, width: Int, isSubstitute: Bool, _ sink: inout Sink) {
        if let scalar = Unicode.Scalar(value) {
            sink.put(scalar, width: width, column: column, isSubstitute: isSubstitute, style: style)
        }
        column += width
    }

    private mutating func ascii<Sink: GlyphSink>(_ characters: StaticString, _ sink: inout Sink) {
        characters.withUTF8Buffer { buffer in
            for byte in buffer { emit(UInt32(byte), width: 1, isSubstitute: true, &sink) }
        }
    }

    private mutating func hexDigits<Sink: GlyphSink>(_ value: UInt32, minimumDigits: Int, uppercase: Bool, _ sink: inout Sink) {
        var digits = 1
        while digits < 6 && (value >> (4 * UInt32(digits))) != 0 { digits += 1 }
        digits = max(digits, minimumDigits)
        for position in stride(from: digits - 1, through: 0, by: -1) {
            let nibble = (value >> (4 * UInt32(position))) & 0xF
            let letter: UInt32 = uppercase ? 0x41 : 0x61
            emit(nibble < 10 ? 0x30 + nibble : letter + nibble - 10, width: 1, isSubstitute: true, &sink)
        }
    }

    /// `^@`, `^[`, `^?`: caret notation, plain ASCII, so it works on any terminal.
    private mutating func caret<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        emit(0x5E, width: 1, isSubstitute: true, &sink)
        emit(value ^ 0x40, width: 1, isSubstitute: true, &sink)
    }

    /// `<9b>`: a C1 control (U+0080–U+009F), which has no caret form.
    private mutating func hexByte<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        ascii("<", &sink)
        hexDigits(value, minimumDigits: 2, uppercase: false, &sink)
        ascii(">", &sink)
    }

    /// `<U+2028>`: a code point wcwidth calls unprintable.
    private mutating func codePoint<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        ascii("<U+", &sink)
        hexDigits(value, minimumDigits: 4, uppercase: true, &sink)
        ascii(">", &sink)
    }

    /// `<RLO>`: an explicit bidi embedding, override or isolate, by its Unicode abbreviation.
    private mutating func bidiName<Sink: GlyphSink>(_ value: UInt32, _ sink: inout Sink) {
        switch value {
        case 0x202A: ascii("<LRE>", &sink)
        case 0x202B: ascii("<RLE>", &sink)
        case 0x202C: ascii("<PDF>", &sink)
        case 0x202D: ascii("<LRO>", &sink)
        case 0x202E: ascii("<RLO>", &sink)
        case 0x2066: ascii("<LRI>", &sink)
        case 0x2067: ascii("<RLI>", &sink)
        case 0x2068: ascii("<FSI>", &sink)
        default: ascii("<PDI>", &sink)
        }
    }
}
