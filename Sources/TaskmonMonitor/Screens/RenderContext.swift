import Foundation
import TaskmonKit

/// What every screen needs to draw: the look, the symbol set, and the time.
struct RenderContext {
    var theme: ResolvedTheme
    var symbols: StatusSymbols
    var now: Date

    /// Draw ASCII only (TERM=linux, no UTF-8 locale).
    var ascii: Bool { symbols.isASCII }
    func style(_ role: ThemeRole) -> Style { theme.style(for: role) }
    func style(_ status: TaskStatus) -> Style { theme.style(for: .status(status)) }
    /// A status's look inside a row that may be the selected one.
    func style(_ status: TaskStatus, selected: Bool) -> Style { theme.style(for: .status(status), selected: selected) }
    func symbol(_ status: TaskStatus) -> String { String(symbols.symbol(for: status)) }
    var ellipsis: String { ascii ? "~" : "…" }
}

extension Canvas {
    /// Paints a whole row.
    mutating func fill(row y: Int, style: Style) {
        fill(row: y, from: 0, width: width, style: style)
    }

    /// Writes `text` in a cell range, cut to `width` with an ellipsis, optionally right-aligned.
    @discardableResult
    mutating func cell(_ text: String, x: Int, y: Int, width: Int, style: Style, alignRight: Bool = false, ascii: Bool = false) -> Int {
        guard width > 0 else { return 0 }
        let shown = TerminalText.truncate(text, toColumns: width, asciiEllipsis: ascii)
        let start = alignRight ? x + width - shown.columns : x
        return put(shown.text, x: start, y: y, maxWidth: width - (start - x), style: style)
    }

    /// Columns `text` takes once sanitized.
    static func measure(_ text: String) -> Int { TerminalText.displayWidth(of: text) }
}
