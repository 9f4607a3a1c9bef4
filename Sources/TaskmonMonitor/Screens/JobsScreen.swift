import Foundation
import TaskmonKit

/// All jobs, newest first: name, status bar, progress, done/total, priority, age, duration.
struct JobsScreen {
    var cursor = ListCursor()
    var search: ListSearch?
    var filter = JobFilter.all
    var sort = JobSort.newest
    /// `H`: finished jobs are left out.
    var hidesFinished = false
    /// Jobs marked with Space for a bulk action.
    var marks: Set<JobID> = []
    private(set) var pageHeight = 1

    /// At 80 columns every column but PRIORITY fits (names keep 20 columns at least); names get twice the bar's share of the
    /// spare width, and the bar stops growing at 40 cells.
    static let columns: [Table.Column] = [
        .init(title: "ID", width: 4, alignRight: true),
        .init(title: "NAME", width: 20, flexible: true, weight: 2),
        .init(title: "TASKS", width: 12, flexible: true, maxWidth: 40),
        .init(title: "%", width: 4, alignRight: true, dropOrder: 2),
        .init(title: "DONE", width: 11, alignRight: true, dropOrder: 1),
        .init(title: "PRIORITY", width: 12, dropOrder: 5),
        .init(title: "AGE", width: 4, alignRight: true, dropOrder: 4),
        .init(title: "TIME", width: 7, alignRight: true, dropOrder: 3),
    ]

    /// The jobs shown, in order: newest first by default (the job you just submitted is at
    /// the top), after the state filter and `H`.
    func order(_ model: MonitorModel) -> [JobID] {
        var ids: [JobID] = model.jobOrder.reversed()
        if filter != .all || hidesFinished {
            ids = ids.filter { id in
                guard let job = model.jobs[id] else { return false }
                let finished = job.info.finishedAt != nil
                if hidesFinished && finished { return false }
                switch filter {
                case .all: return true
                case .active: return !finished
                case .finished: return finished
                case .failed: return job.failedCount > 0
                }
            }
        }
        switch sort {
        case .newest: break
        case .oldest: ids.reverse()
        case .name: ids.sort { (model.jobs[$0]?.info.name ?? "", $1) < (model.jobs[$1]?.info.name ?? "", $0) }
        case .progress: ids.sort { (model.jobs[$0]?.progress ?? 0, $1) < (model.jobs[$1]?.progress ?? 0, $0) }
        case .failures: ids.sort { (model.jobs[$0]?.failedCount ?? 0, $0) > (model.jobs[$1]?.failedCount ?? 0, $1) }
        }
        return ids
    }

    var selectedJob: JobID? { cursor.selectedID.map { JobID($0) } }

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        let top = 2
        let height = max(1, canvas.height - top - 2)
        pageHeight = height
        let order = order(model)
        var detail = "\(order.count) job\(order.count == 1 ? "" : "s")"
        if filter != .all { detail += " · \(filter.title)" }
        if hidesFinished { detail += " · finished hidden" }
        if sort != .newest { detail += " · by \(sort.title)" }
        if !marks.isEmpty { detail += " · \(marks.count) marked" }
        if let search { detail += " · /\(search.query)" }
        Chrome.drawTitle(&canvas, "Jobs", detail: detail, context: context)
        let layout = Table.layout(Self.columns, width: canvas.width)
        for (index, x, width) in layout {
            let column = Self.columns[index]
            canvas.cell(column.title, x: x, y: top, width: width, style: context.style(.columnTitle), alignRight: column.alignRight)
        }
        let selected = cursor.settle(count: order.count, height: height - 1,
                                     indexOf: { id in order.firstIndex(of: JobID(id)) }, idAt: { Int(order[$0]) })
        if order.isEmpty, !model.jobOrder.isEmpty {
            canvas.put(" no job shown: f changes the filter, H shows finished jobs", x: 0, y: top + 1, style: context.style(.muted))
            return
        }
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
            case 0:
                canvas.cell(String(job.id), x: x, y: y, width: width, style: muted, alignRight: true)
                if marks.contains(job.id) { canvas.put(context.ascii ? "*" : "●", x: x, y: y, style: context.style(.warning).adding(.bold)) }
            case 1:
                let status = job.summaryStatus
                // A job whose teardown (or anything else of the job) failed is no plain ✓.
                let warned = status == .completed && job.info.finishedAt != nil && !job.info.warnings.isEmpty
                let symbol = warned ? (context.ascii ? "!" : "⚠") : context.symbol(status)
                let symbolStyle = warned ? context.theme.style(for: .warning, selected: selected) : context.style(status, selected: selected)
                let symbolWidth = canvas.put(symbol + " ", x: x, y: y, maxWidth: width, style: symbolStyle)
                canvas.cell(job.info.name, x: x + symbolWidth, y: y, width: width - symbolWidth, style: base)
                if let search, let mark = search.highlight(in: job.info.name), mark.offset < width - symbolWidth {
                    let matched = String(job.info.name.dropFirst(mark.offset).prefix(mark.width))
                    canvas.put(matched, x: x + symbolWidth + mark.offset, y: y, maxWidth: width - symbolWidth - mark.offset, style: context.style(.searchMatch))
                }
            case 2: StatusBar.draw(&canvas, counts: job.counts, total: job.taskCount, x: x, y: y, width: width, context: context)
            case 3: canvas.cell("\(job.progress)%", x: x, y: y, width: width, style: base, alignRight: true)
            case 4: canvas.cell(Formatting.fraction(job.doneCount, job.taskCount, width: width), x: x, y: y, width: width, style: base, alignRight: true)
            case 5: canvas.cell(job.info.priority.name, x: x, y: y, width: width, style: muted)
            case 6: canvas.cell(Formatting.age(since: job.info.submittedAt, now: context.now), x: x, y: y, width: width, style: muted, alignRight: true)
            default:
                // A job whose teardown failed is not a plain success: its time shows the warning mark.
                let warned = !job.info.warnings.isEmpty ? (context.ascii ? "!" : "⚠") : ""
                canvas.cell(warned + Formatting.duration(job.duration(now: context.now)), x: x, y: y, width: width,
                            style: warned.isEmpty ? base : context.theme.style(for: .warning, selected: selected), alignRight: true)
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

/// Which jobs the list shows (`f` cycles).
enum JobFilter: CaseIterable {
    case all, active, finished, failed

    var next: JobFilter { Self.allCases[(Self.allCases.firstIndex(of: self)! + 1) % Self.allCases.count] }

    var title: String {
        switch self {
        case .all: "all"
        case .active: "active"
        case .finished: "finished"
        case .failed: "with failures"
        }
    }
}

/// The jobs list's order (`s` cycles).
enum JobSort: CaseIterable {
    case newest, oldest, name, progress, failures

    var next: JobSort { Self.allCases[(Self.allCases.firstIndex(of: self)! + 1) % Self.allCases.count] }

    var title: String {
        switch self {
        case .newest: "newest"
        case .oldest: "oldest"
        case .name: "name"
        case .progress: "progress"
        case .failures: "failures"
        }
    }
}
