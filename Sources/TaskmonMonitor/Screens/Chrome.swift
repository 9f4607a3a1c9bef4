import Foundation
import TaskmonKit

/// The header (scheduler state) and footer (keys, notices) around every screen.
enum Chrome {
    /// Row 0: connection, slots, queue, counts per status.
    static func drawHeader(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        let header = context.style(.header)
        canvas.fill(row: 0, style: header)
        var x = canvas.put(" taskmon ", x: 0, y: 0, style: header.adding(.bold))
        switch model.connection {
        case .connecting:
            x += canvas.put(" connecting… ", x: x, y: 0, style: context.style(.warning))
        case .connected:
            x += canvas.put(" connected", x: x, y: 0, style: header)
            if let hello = model.hello {
                x += canvas.put(" · slots \(model.busySlots)/\(hello.slots) · queue \(model.queued) ", x: x, y: 0, style: header)
            }
        case .reconnecting(let reason):
            x += canvas.put(" reconnecting… (\(reason)) ", x: x, y: 0, style: context.style(.warning).adding(.bold))
        }
        // What keeps the scheduler from working comes before the counts: it is the news.
        if model.connection == .connected, let status = model.schedulerStatus {
            let backend = status.backend.flatMap { $0 == "local" ? nil : $0 }
            // A long problem is cut with an ellipsis: `taskmon status` has it whole.
            if let problem = status.backendProblem {
                x += canvas.cell(" \(backend ?? "backend"): \(problem) ", x: x, y: 0, width: canvas.width - x,
                                 style: context.style(.warning).adding(.bold), ascii: context.ascii)
            } else if let backend {
                x += canvas.put("· \(backend) ", x: x, y: 0, maxWidth: canvas.width - x, style: header)
            }
            if let storage = status.storageError {
                x += canvas.cell(" database: \(storage) ", x: x, y: 0, width: canvas.width - x,
                                 style: context.style(.error).adding(.bold), ascii: context.ascii)
            }
        }
        for status in TaskStatus.allCases where model.totals[status.rawValue] > 0 {
            let text = " \(context.symbol(status))\(model.totals[status.rawValue])"
            guard x + text.count < canvas.width else { break }
            var style = context.style(status)
            style.background = header.background
            x += canvas.put(text, x: x, y: 0, style: style)
        }
    }

    /// The last row: a notice if one is showing, else the keys that apply, whole entries only;
    /// the last two (help and quit) always show, the others as many as fit before them.
    static func drawFooter(_ canvas: inout Canvas, keys: [(String, String)], notice: Notice?, context: RenderContext) {
        let y = canvas.height - 1
        let footer = context.style(.footer)
        canvas.fill(row: y, style: footer)
        if let notice {
            canvas.cell(" " + notice.text, x: 0, y: y, width: canvas.width, style: notice.isError ? context.style(.error) : footer.adding(.bold))
            return
        }
        func width(_ entry: (String, String)) -> Int { Canvas.measure(entry.0) + Canvas.measure(entry.1) + 3 }
        let tail = Array(keys.suffix(2))
        var shown: [(String, String)] = []
        var used = 1 + tail.reduce(0) { $0 + width($1) }
        for entry in keys.dropLast(2) {
            guard used + width(entry) <= canvas.width else { break }
            shown.append(entry)
            used += width(entry)
        }
        var x = 1
        for entry in shown + tail where x + width(entry) - 2 <= canvas.width {
            x += canvas.put(entry.0, x: x, y: y, style: context.style(.footerKey))
            x += canvas.put(" \(entry.1)  ", x: x, y: y, maxWidth: canvas.width - x, style: footer)
        }
    }

    /// A frame of line-drawing characters (or `+-|` in ASCII) around a box.
    static func drawBox(_ canvas: inout Canvas, x: Int, y: Int, width: Int, height: Int, style: Style, ascii: Bool) {
        guard width >= 2, height >= 2 else { return }
        let (h, v, corners) = ascii ? ("-", "|", ["+", "+", "+", "+"]) : ("─", "│", ["┌", "┐", "└", "┘"])
        canvas.put(corners[0] + String(repeating: h, count: width - 2) + corners[1], x: x, y: y, style: style)
        canvas.put(corners[2] + String(repeating: h, count: width - 2) + corners[3], x: x, y: y + height - 1, style: style)
        for row in (y + 1)..<(y + height - 1) {
            canvas.put(v, x: x, y: row, style: style)
            canvas.put(v, x: x + width - 1, y: row, style: style)
        }
    }

    /// Row 1: where we are. Returns the column after the title (before the detail).
    @discardableResult
    static func drawTitle(_ canvas: inout Canvas, _ text: String, detail: String = "", context: RenderContext) -> Int {
        canvas.fill(row: 1, style: .plain)
        let x = canvas.put(" " + text, x: 0, y: 1, style: context.style(.text).adding(.bold))
        if !detail.isEmpty {
            canvas.put("  " + detail, x: x, y: 1, maxWidth: canvas.width - x, style: context.style(.muted))
        }
        return x
    }
}

/// A short message in the footer: a command's outcome, a theme error.
struct Notice: Equatable {
    var text: String
    var isError: Bool
    var until: Date
}
