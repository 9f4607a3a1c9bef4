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
        }
        switch overlay {
        case .prompt(let prompt):
            return drawPrompt(&canvas, prompt, context: context)
        case .help(let top):
            Chrome.drawFooter(&canvas, keys: [("↑↓", "scroll"), ("any other key", "close help")], notice: nil, context: context)
            drawHelp(&canvas, top: top, context: context)
        case .filterMenu(let menu):
            Chrome.drawFooter(&canvas, keys: [("↑↓", "move"), ("Space", "toggle"), ("a", "all"), ("Enter", "apply"), ("Esc", "cancel")], notice: nil, context: context)
            drawFilterMenu(&canvas, menu, context: context)
        case nil:
            Chrome.drawFooter(&canvas, keys: footerKeys(), notice: notice, context: context)
        }
        return nil
    }

    /// The keys that apply on the current screen, most useful first (the footer cuts the rest).
    func footerKeys() -> [(String, String)] {
        switch route {
        case .jobs:
            [("↑↓", "move"), ("Enter", "tasks"), ("/", "search"), ("c", "cancel job"), ("T", "theme"), ("?", "help"), ("q", "quit")]
        case .tasks:
            [("↑↓", "move"), ("Enter", "detail"), ("Esc", "back"), ("/", "search"), ("f", "filter"), ("s", "sort"),
             ("c", "cancel"), ("r", "retry"), ("?", "help"), ("q", "quit")]
        case .detail:
            [("Tab/1-7", "tabs"), ("↑↓", "scroll"), ("Esc", "back"), ("F", "follow"), ("w", "wrap"), ("/", "search"),
             ("c", "cancel"), ("r", "retry"), ("?", "help"), ("q", "quit")]
        }
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

    private func drawHelp(_ canvas: inout Canvas, top scroll: Int, context: RenderContext) {
        var lines: [(String, String, Bool)] = []
        for (title, keys) in HelpText.sections {
            lines.append((title, "", true))
            lines += keys.map { ($0.0, $0.1, false) }
            lines.append(("", "", false))
        }
        lines.removeLast()
        let boxWidth = min(canvas.width - 2, 84)
        let boxHeight = min(canvas.height - 2, lines.count + 2)
        let visible = boxHeight - 2
        let first = min(max(0, scroll), max(0, lines.count - visible))
        let left = (canvas.width - boxWidth) / 2
        let top = 1
        let style = context.style(.prompt)
        for y in top..<(top + boxHeight) {
            canvas.fill(row: y, from: left, width: boxWidth, style: style)
        }
        var title = " Keys "
        if lines.count > visible { title += "(\(first + 1)–\(first + visible) of \(lines.count), ↑↓ scroll) " }
        canvas.put(title, x: left + 2, y: top, style: style.adding(.bold))
        for (index, line) in lines[first..<min(lines.count, first + visible)].enumerated() {
            let y = top + 1 + index
            if line.2 {
                canvas.put(line.0, x: left + 2, y: y, maxWidth: boxWidth - 4, style: style.adding(.underline))
            } else if !line.0.isEmpty {
                canvas.put(line.0, x: left + 3, y: y, maxWidth: 20, style: context.style(.footerKey))
                canvas.put(line.1, x: left + 24, y: y, maxWidth: boxWidth - 26, style: style)
            }
        }
    }

    private func drawFilterMenu(_ canvas: inout Canvas, _ menu: FilterMenu, context: RenderContext) {
        let counts = tasks.flatMap { model.jobs[$0.jobID]?.counts }
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
