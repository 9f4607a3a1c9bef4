import Foundation
import TaskmonKit

/// Draws an `OutputDocument`'s viewport: the Output and Errors tabs.
enum OutputPane {
    /// The pane's layout for the document: one row per line, or wrapped rows at `width`.
    static func layout(height: Int, width: Int, wrap: Bool) -> OutputLayout {
        wrap ? OutputLayout(height: height) { OutputText.rows(of: $0, width: width) } : .unwrapped(height: height)
    }

    static func draw(_ canvas: inout Canvas, document: OutputDocument, top: Int, height: Int, wrap: Bool,
                     horizontalOffset: Int = 0, emptyText: String, context: RenderContext) {
        let width = canvas.width
        let viewport = document.viewport(layout(height: height, width: width, wrap: wrap))
        var y = top
        var skip = viewport.firstLineSkippedRows
        if viewport.lines.isEmpty {
            let text = document.errorMessage.map { "cannot read the output: \($0)" } ?? emptyText
            canvas.put(" " + text, x: 0, y: top, maxWidth: width, style: context.style(document.errorMessage == nil ? .muted : .error))
        }
        for line in viewport.lines {
            guard y < top + height else { break }
            let rows = OutputText.draw(line, into: &canvas, x: 0, y: y, width: width, skipRows: skip,
                                       maxRows: top + height - y, wrap: wrap, query: document.searchQuery,
                                       horizontalOffset: horizontalOffset, context: context)
            y += rows
            skip = 0
        }
    }

    /// Size, position and follow state, for the tab bar's right end.
    static func status(_ document: OutputDocument) -> String {
        var text = document.statusText
        if document.searchStatus != .none {
            var search = document.searchStatus.text(query: document.searchQuery)
            if case .found = document.searchStatus, let position = document.matchPosition {
                search = "match \(position.index)/\(position.total)" + (search.isEmpty ? "" : " · " + search)
            }
            text = search + " · " + text
        }
        return text
    }
}
