import Foundation

/// Turns a line of raw task output into cells: the one place output bytes meet the screen.
enum OutputText {
    /// Rows `bytes` take when wrapped at `width`.
    static func rows(of bytes: ArraySlice<UInt8>, width: Int) -> Int {
        let columns = displayColumns(bytes)
        return max(1, (columns + max(1, width) - 1) / max(1, width))
    }

    /// Draws `line` from row `skipRows` of its wrapped form; returns the rows drawn.
    static func draw(_ line: OutputLine, into canvas: inout Canvas, x: Int, y: Int, width: Int, skipRows: Int,
                     maxRows: Int, wrap: Bool, context: RenderContext) -> Int {
        let text = visible(line.bytes[...])
        let characters = Array(text)
        var row = 0
        var start = wrap ? skipRows * width : 0
        repeat {
            let end = min(characters.count, start + width)
            let piece = start < end ? String(characters[start..<end]) : ""
            canvas.put(piece, x: x, y: y + row, maxWidth: width, style: context.style(.text))
            row += 1
            start = end
        } while wrap && start < characters.count && row < maxRows
        return row
    }

    private static func displayColumns(_ bytes: ArraySlice<UInt8>) -> Int { visible(bytes).count }

    private static func visible(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).filter { !$0.isASCII || ($0.asciiValue! >= 0x20 && $0.asciiValue! != 0x7f) }
    }
}
