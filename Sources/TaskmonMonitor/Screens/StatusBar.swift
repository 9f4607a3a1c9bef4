import TaskmonKit

/// A job's tasks as one coloured bar: a segment per status, in the status's colour.
enum StatusBar {
    /// Statuses in the order their segments appear: done ones first, waiting ones last.
    static let order: [TaskStatus] = [.completed, .failed, .environmentError, .timedOut, .canceled,
                                      .interrupted, .canceling, .running, .assigned, .submitted, .notSubmitted]

    static func draw(_ canvas: inout Canvas, counts: [Int], total: Int, x: Int, y: Int, width: Int, context: RenderContext) {
        guard width > 0 else { return }
        // Coloured terminals fill a segment with its colour; without colour, with its symbol.
        let useSymbols = context.theme.barNeedsSymbols
        var cells = 0
        var carried = 0
        for status in order where counts[status.rawValue] > 0 {
            // Largest-remainder rounding, so the segments add up to the bar and no non-zero
            // status vanishes entirely while there is room.
            carried += counts[status.rawValue] * width
            var share = carried / max(1, total) - cells
            if share == 0 && cells < width { share = 1 }
            share = min(share, width - cells)
            guard share > 0 else { continue }
            // Each segment starts with its status's symbol, so the bar reads without colour
            // too (and for colour-blind eyes); without colour the whole segment is symbols.
            let symbol = context.symbol(status)
            let text = useSymbols ? String(repeating: symbol, count: share) : symbol + String(repeating: " ", count: share - 1)
            canvas.put(text, x: x + cells, y: y, style: context.theme.barStyle(for: status))
            cells += share
        }
        if cells < width {
            canvas.put(String(repeating: context.ascii ? "." : "·", count: width - cells), x: x + cells, y: y, style: context.style(.barEmpty))
        }
    }

    /// A one-task progress bar with its percentage: `███···· 42%`.
    static func progress(_ canvas: inout Canvas, percent: Int, x: Int, y: Int, width: Int, style: Style, context: RenderContext) {
        guard width > 0 else { return }
        let label = "\(percent)%"
        let labelWidth = 4
        let barWidth = width - labelWidth - 1
        if barWidth >= 3 {
            let filled = barWidth * max(0, min(100, percent)) / 100
            canvas.put(String(repeating: context.ascii ? "#" : "█", count: filled), x: x, y: y, style: style)
            canvas.put(String(repeating: context.ascii ? "." : "·", count: barWidth - filled), x: x + filled, y: y, style: context.style(.barEmpty))
            canvas.cell(label, x: x + barWidth + 1, y: y, width: labelWidth, style: context.style(.text), alignRight: true)
        } else {
            canvas.cell(label, x: x, y: y, width: width, style: context.style(.text), alignRight: true)
        }
    }
}
