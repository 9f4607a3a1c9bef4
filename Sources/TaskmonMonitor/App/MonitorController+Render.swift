import Foundation
import TaskmonKit

extension MonitorController {
    /// Draws the whole screen into `canvas` (already sized to the terminal). Returns where the
    /// cursor should show (a prompt's input), or nil to hide it.
    package func render(into canvas: inout Canvas, now: Date) -> (x: Int, y: Int)? {
        let cursor = draw(into: &canvas, now: now)
        // A terminal that cannot draw Unicode gets none, whatever a screen or a task wrote.
        if symbols.isASCII { canvas.fold(toASCII: Canvas.asciiFallbacks) }
        return cursor
    }

    private func draw(into canvas: inout Canvas, now: Date) -> (x: Int, y: Int)? {
        if let until = notice?.until, until <= now { notice = nil }
        let context = RenderContext(theme: theme, symbols: symbols, now: now)
        canvas.clear(style: context.style(.text))
        let minimum = Self.minimumSize
        guard canvas.width >= minimum.width, canvas.height >= minimum.height else {
            drawTooSmall(&canvas, context: context)
            return nil
        }
        Chrome.drawHeader(&canvas, model: model, context: context)
        switch route {
        case .jobs:
            jobs.draw(&canvas, model: model, context: context)
        case .tasks:
            tasks?.draw(&canvas, model: model, context: context)
        case .detail:
            _ = visibleDocument()
            if var screen = detail {
                let row = model.jobs[screen.jobID]?.tasks?[safe: screen.taskID]
                screen.draw(&canvas, row: row, context: context)
                detail = screen
            }
        case .failures:
            failures?.draw(&canvas, model: model, context: context)
        case .jobDetail:
            jobDetail?.draw(&canvas, model: model, context: context)
        case .allTasks:
            allTasks?.draw(&canvas, model: model, context: context, loading: model.jobOrder.filter { model.isLoadingTasks($0) }.count)
        }
        switch overlay {
        case .prompt(let prompt):
            return drawPrompt(&canvas, prompt, context: context)
        case .help(let top):
            Chrome.drawFooter(&canvas, keys: [("↑↓", "scroll"), ("other keys", "close help")], notice: nil, context: context)
            drawHelp(&canvas, top: top, context: context)
        case .filterMenu(let menu):
            Chrome.drawFooter(&canvas, keys: [("↑↓", "move"), ("Space", "toggle"), ("a", "all"), ("Enter", "apply"), ("Esc", "cancel")], notice: nil, context: context)
            drawFilterMenu(&canvas, menu, context: context)
        case nil:
            Chrome.drawFooter(&canvas, keys: footerKeys(), notice: notice, context: context)
        }
        return nil
    }

    /// The keys that apply on the current screen, from its keymap: as many as fit, in table
    /// order, and always `?` (help) and `q` at the end.
    func footerKeys() -> [(String, String)] {
        var keys = keymap.footer
        if route == .detail, let tab = detail?.tab, !tab.isStream {
            // A text tab without a search has nothing for n; keep the footer to what works.
            keys.removeAll { $0.0 == "n" }
        }
        return keys + Keymap.everywhere.footer
    }

    private func drawTooSmall(_ canvas: inout Canvas, context: RenderContext) {
        let minimum = Self.minimumSize
        let lines = ["terminal too small", "(need \(minimum.width)×\(minimum.height))", "q quits"]
        for (index, line) in lines.enumerated() where index < canvas.height {
            let text = context.ascii ? line.replacingOccurrences(of: "×", with: "x") : line
            canvas.put(text, x: 0, y: index, maxWidth: canvas.width, style: context.style(index == 0 ? .warning : .text))
        }
    }

    private func drawPrompt(_ canvas: inout Canvas, _ prompt: Prompt, context: RenderContext) -> (x: Int, y: Int) {
        let y = canvas.height - 1
        canvas.fill(row: y, style: context.style(.prompt))
        let label = prompt.label
        let x = canvas.put(label, x: 0, y: y, maxWidth: canvas.width - 2, style: context.style(.prompt).adding(.bold))
        // Show the end of a long input, as a shell would.
        let room = max(1, canvas.width - x - 1)
        let visible = prompt.text.count > room ? String(prompt.text.suffix(room)) : prompt.text
        let used = canvas.put(visible, x: x, y: y, maxWidth: room, style: context.style(.prompt))
        return (min(canvas.width - 1, x + used), y)
    }

    /// The help lines: the current screen's keymap, then the keys of every screen, each key
    /// with its description wrapped to the box.
    func helpLines(width: Int) -> [(key: String, text: String, heading: Bool)] {
        let keyWidth = 16
        let textWidth = max(10, width - keyWidth - 4)
        var lines: [(key: String, text: String, heading: Bool)] = []
        for map in [keymap, Keymap.everywhere] {
            if !lines.isEmpty { lines.append(("", "", false)) }
            lines.append((map.title, "", true))
            for binding in map.bindings {
                let wrapped = Self.wrap(binding.help, width: textWidth)
                for (index, piece) in wrapped.enumerated() {
                    lines.append((index == 0 ? binding.label : "", piece, false))
                }
            }
        }
        return lines
    }

    /// Words of `text` in lines of at most `width` columns.
    static func wrap(_ text: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            let candidate = current.isEmpty ? String(word) : current + " " + word
            if Canvas.measure(candidate) > width, !current.isEmpty {
                lines.append(current)
                current = String(word)
            } else {
                current = candidate
            }
        }
        lines.append(current)
        return lines
    }

    private func drawHelp(_ canvas: inout Canvas, top scroll: Int, context: RenderContext) {
        // Full width on a narrow terminal, so no sliver of the screen below shows at its sides.
        let boxWidth = canvas.width <= 92 ? canvas.width : 90
        let lines = helpLines(width: boxWidth - 2)
        let boxHeight = min(canvas.height - 2, lines.count + 2)
        let visible = max(1, boxHeight - 2)
        let first = min(max(0, scroll), max(0, lines.count - visible))
        let left = (canvas.width - boxWidth) / 2
        let top = 1
        let style = context.style(.prompt)
        // Opaque: every cell of the box is written, so nothing of the screen below shows.
        for y in top..<(top + boxHeight) {
            canvas.put(String(repeating: " ", count: boxWidth), x: left, y: y, style: style)
        }
        Chrome.drawBox(&canvas, x: left, y: top, width: boxWidth, height: boxHeight, style: style, ascii: context.ascii)
        var title = " Keys: \(keymap.title) "
        if lines.count > visible { title += "(\(first + 1)–\(min(lines.count, first + visible)) of \(lines.count), ↑↓ scroll) " }
        canvas.put(title, x: left + 2, y: top, maxWidth: boxWidth - 4, style: style.adding(.bold))
        for (index, line) in lines[first..<min(lines.count, first + visible)].enumerated() {
            let y = top + 1 + index
            if line.heading {
                canvas.put(line.key, x: left + 2, y: y, maxWidth: boxWidth - 4, style: style.adding(.underline).adding(.bold))
            } else {
                if !line.key.isEmpty {
                    var keyStyle = context.style(.footerKey)
                    keyStyle.background = style.background
                    canvas.put(line.key, x: left + 2, y: y, maxWidth: 15, style: keyStyle)
                }
                canvas.put(line.text, x: left + 19, y: y, maxWidth: boxWidth - 21, style: style)
            }
        }
    }

    private func drawFilterMenu(_ canvas: inout Canvas, _ menu: FilterMenu, context: RenderContext) {
        let counts = route == .allTasks ? model.totals : tasks.flatMap { model.jobs[$0.jobID]?.counts }
        let boxWidth = min(canvas.width - 2, 36)
        let rows = FilterMenu.rows
        let boxHeight = min(canvas.height - 3, rows.count + 3)
        let left = max(0, canvas.width - boxWidth - 2)
        let top = 2
        let style = context.style(.prompt)
        for y in top..<(top + boxHeight) { canvas.fill(row: y, from: left, width: boxWidth, style: style) }
        canvas.put(" Show tasks that are… ", x: left + 1, y: top, style: style.adding(.bold))
        for (index, status) in rows.enumerated() where index < boxHeight - 3 {
            let y = top + 1 + index
            let checked = menu.chosen.contains(status)
            let box = context.ascii ? (checked ? "[x]" : "[ ]") : (checked ? "[✓]" : "[ ]")
            let rowStyle = index == menu.selection ? context.style(.selection) : style
            if index == menu.selection { canvas.fill(row: y, from: left, width: boxWidth, style: rowStyle) }
            var x = left + 2
            x += canvas.put(box + " ", x: x, y: y, style: rowStyle)
            var statusStyle = context.style(status)
            if index == menu.selection { statusStyle = rowStyle } else { statusStyle.background = style.background }
            x += canvas.put("\(context.symbol(status)) \(Formatting.label(status))", x: x, y: y, style: statusStyle)
            if let counts {
                canvas.cell(String(counts[status.rawValue]), x: left + boxWidth - 8, y: y, width: 6, style: rowStyle, alignRight: true)
            }
        }
        canvas.put(menu.chosen.isEmpty ? " (none ticked: all shown)" : "", x: left + 1, y: top + boxHeight - 1, maxWidth: boxWidth - 2, style: style)
    }
}
