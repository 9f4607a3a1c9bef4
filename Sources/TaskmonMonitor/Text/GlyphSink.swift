/// Where `TextScanner` sends what it decided to show, cell by cell. Columns count from the
/// start of the line; a `\r` sends the cursor back to 0, so a sink must let a later glyph
/// overwrite an earlier one (as a terminal would).
protocol GlyphSink {
    /// The first column the sink has no use for. Once the cursor reaches it and no `\r`
    /// can bring it back, the scanner stops: the rest of a 10 MB line is never decoded.
    var endColumn: Int { get }
    /// Shows `scalar` (1 or 2 columns wide) at `column`.
    mutating func put(_ scalar: Unicode.Scalar, width: Int, column: Int, isSubstitute: Bool, style: InlineStyle)
    /// Shows a run of printable ASCII (1 column each) from `column`: the common case, in one call.
    mutating func putASCII(_ bytes: UnsafeBufferPointer<UInt8>, column: Int, style: InlineStyle)
    /// Adds a zero-width mark (a combining accent) to the cell covering `column`.
    mutating func attach(_ mark: Unicode.Scalar, column: Int)
}

/// Measures without keeping anything: the widest column reached.
struct MeasuringSink: GlyphSink {
    var endColumn: Int { .max }
    private(set) var columns = 0

    mutating func put(_ scalar: Unicode.Scalar, width: Int, column: Int, isSubstitute: Bool, style: InlineStyle) {
        columns = max(columns, column + width)
    }

    mutating func putASCII(_ bytes: UnsafeBufferPointer<UInt8>, column: Int, style: InlineStyle) {
        columns = max(columns, column + bytes.count)
    }

    mutating func attach(_ mark: Unicode.Scalar, column: Int) {}
}
