import CTaskmonPOSIX

/// Column widths exactly as ncursesw will place characters: glibc's `wcwidth` in a UTF-8
/// locale, whatever locale this process runs in (see `ctaskmon_wcwidth_utf8`).
enum ColumnWidth {
    /// Code points below this are answered from `table`; it covers the BMP and plane 1,
    /// where the emoji are, so almost nothing reaches the C call.
    private static let tableLimit: UInt32 = 0x20000

    /// `wcwidth` for U+0000..<`tableLimit`, made once (about 1 ms) on first use.
    private static let table: [Int8] = {
        var widths = [Int8](repeating: -1, count: Int(tableLimit))
        widths.withUnsafeMutableBufferPointer { buffer in
            ctaskmon_wcwidth_utf8_range(0, tableLimit, buffer.baseAddress)
        }
        return widths
    }()

    /// glibc's width of one code point: 0, 1, 2, or -1 when it is not printable.
    static func of(_ value: UInt32) -> Int {
        if value < tableLimit { return Int(table[Int(value)]) }
        return Int(ctaskmon_wcwidth_utf8(value))
    }
}
