import Foundation
import TaskmonKit

/// All jobs, newest first: name, status bar, progress, done/total, priority, age, duration.
struct JobsScreen {
    var cursor = ListCursor()
    var search: ListSearch?
    private(set) var pageHeight = 1

    static let columns: [Table.Column] = [
        .init(title: "ID", width: 4, alignRight: true),
        .init(title: "NAME", width: 12, flexible: true),
        .init(title: "TASKS", width: 20, flexible: true),
        .init(title: "%", width: 4, alignRight: true, dropOrder: 2),
        .init(title: "DONE", width: 11, alignRight: true, dropOrder: 1),
        .init(title: "PRIORITY", width: 12, dropOrder: 4),
        .init(title: "AGE", width: 4, alignRight: true, dropOrder: 3),
        .init(title: "TIME", width: 7, alignRight: true, dropOrder: 5),
    ]

    /// Newest first: the job you just submitted is at the top.
    func order(_ model: MonitorModel) -> [JobID] { model.jobOrder.reversed() }

    var selectedJob: JobID? { cursor.selectedID.map { JobID($0) } }

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        let top = 2
        let height = max(1, canvas.height - top - 2)
        pageHeight = height
        let order = order(model)
        var detail = "\(order.count) job\(order.count == 1 ? "" : "s")"
        if let search { detail += " · /\(search.query)" }
        Chrome.drawTitle(&canvas, "Jobs", detail: detail, context: context)
        let layout = Table.layout(Self.columns, width: canvas.width)
        for (index, x, width) in layout {
            let column = Self.columns[index]
            canvas.cell(column.title, x: x, y: top, width: width, style: context.style(.columnTitle), alignRight: column.alignRight)
        }
        let selected = cursor.settle(count: order.count, height: height - 1,
                                     indexOf: { id in order.firstIndex(of: JobID(id)) }, idAt: { Int(order[$0]) })
        if order.isEmpty {
            canvas.put(" no jobs yet: submit one with `taskmon submit FILE` or `taskmon submit -- COMMAND`", x: 0, y: top + 1, style: context.style(.muted))
            return
        }
        var y = top + 1
        var row = cursor.top
        while y < top + height, row < order.count {
            if let job = model.jobs[order[row]] {
                drawRow(&canvas, job, y: y, layout: layout, selected: row == selected, context: context)
            }
            y += 1
            row += 1
        }
    }

    private func drawRow(_ canvas: inout Canvas, _ job: JobRecord, y: Int, layout: [(index: Int, x: Int, width: Int)], selected: Bool, context: RenderContext) {
        let base = selected ? context.style(.selection) : context.style(.text)
        if selected { canvas.fill(row: y, style: base) }
        let muted = context.theme.style(for: .muted, selected: selected)
        for (index, x, width) in layout {
            switch index {
            case 0: canvas.cell(String(job.id), x: x, y: y, width: width, style: muted, alignRight: true)
            case 1:
                let status = job.summaryStatus
                let symbolWidth = canvas.put(context.symbol(status) + " ", x: x, y: y, maxWidth: width, style: context.style(status, selected: selected))
                canvas.cell(job.info.name, x: x + symbolWidth, y: y, width: width - symbolWidth, style: base)
                if let search, let mark = search.highlight(in: job.info.name), mark.offset < width - symbolWidth {
                    let matched = String(job.info.name.dropFirst(mark.offset).prefix(mark.width))
                    canvas.put(matched, x: x + symbolWidth + mark.offset, y: y, maxWidth: width - symbolWidth - mark.offset, style: context.style(.searchMatch))
                }
            case 2: StatusBar.draw(&canvas, counts: job.counts, total: job.taskCount, x: x, y: y, width: width, context: context)
            case 3: canvas.cell("\(job.progress)%", x: x, y: y, width: width, style: base, alignRight: true)
            case 4: canvas.cell("\(job.doneCount)/\(job.taskCount)", x: x, y: y, width: width, style: base, alignRight: true)
            case 5: canvas.cell(job.info.priority.name, x: x, y: y, width: width, style: muted)
            case 6: canvas.cell(Formatting.age(since: job.info.submittedAt, now: context.now), x: x, y: y, width: width, style: muted, alignRight: true)
            default: canvas.cell(Formatting.duration(job.duration(now: context.now)), x: x, y: y, width: width, style: base, alignRight: true)
            }
        }
    }

    /// Brings the selection up to date with the model before a key acts on it (keys can
    /// arrive before the frame that would have settled it).
    mutating func settleSelection(_ model: MonitorModel) {
        let order = order(model)
        _ = cursor.settle(count: order.count, height: max(1, pageHeight - 1),
                          indexOf: { id in order.firstIndex(of: JobID(id)) }, idAt: { Int(order[$0]) })
    }

    mutating func move(by delta: Int, model: MonitorModel) {
        let order = order(model)
        cursor.move(by: delta, count: order.count, idAt: { Int(order[$0]) })
    }

    mutating func select(index: Int, model: MonitorModel) {
        let order = order(model)
        cursor.select(index: index, count: order.count, idAt: { Int(order[$0]) })
    }

    mutating func findNext(_ model: MonitorModel, backwards: Bool) -> Bool {
        guard let search else { return false }
        let order = order(model)
        guard !order.isEmpty else { return false }
        for step in 1...order.count {
            let row = ((cursor.selectedIndex + (backwards ? -step : step)) % order.count + order.count) % order.count
            if let job = model.jobs[order[row]], search.matches(job.info.name) || search.query == String(job.id) {
                select(index: row, model: model)
                return true
            }
        }
        return false
    }
}
