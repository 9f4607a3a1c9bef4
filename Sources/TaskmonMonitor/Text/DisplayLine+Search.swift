extension DisplayLine {
    /// Where `needle` occurs in the visible text, as column ranges from the line's first glyph
    /// (add the x the line was drawn at), for highlighting search matches with
    /// `Canvas.restyle`. Compares base characters, ASCII letters without regard to case
    /// when `ignoringCase`; matches do not overlap.
    package func columnRanges(of needle: String, ignoringCase: Bool = true) -> [Range<Int>] {
        let wanted = needle.unicodeScalars.map { fold($0.value, ignoringCase) }
        guard !wanted.isEmpty, wanted.count <= glyphs.count else { return [] }
        var columnsBefore: [Int] = []
        columnsBefore.reserveCapacity(glyphs.count + 1)
        var column = 0
        for glyph in glyphs {
            columnsBefore.append(column)
            column += glyph.width
        }
        columnsBefore.append(column)
        var ranges: [Range<Int>] = []
        var start = 0
        while start + wanted.count <= glyphs.count {
            var matched = true
            for offset in 0..<wanted.count where fold(glyphs[start + offset].scalar.value, ignoringCase) != wanted[offset] {
                matched = false
                break
            }
            if matched {
                ranges.append(columnsBefore[start]..<columnsBefore[start + wanted.count])
                start += wanted.count
            } else {
                start += 1
            }
        }
        return ranges
    }

    private func fold(_ value: UInt32, _ ignoringCase: Bool) -> UInt32 {
        ignoringCase && value >= 0x41 && value <= 0x5A ? value + 0x20 : value
    }
}
