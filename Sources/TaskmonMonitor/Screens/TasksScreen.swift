import Foundation
import TaskmonKit

/// The tasks of one job: id, name, status, attempt, progress, pid, start, duration, message.
struct TasksScreen {
    let jobID: JobID
    var cursor = ListCursor()
    var ordering = TaskOrdering()
    var search: ListSearch?
    /// Tasks marked with Space for a bulk action.
    var marks: Set<TaskIndex> = []
    /// Rows of the list body at the last draw (for paging).
    private(set) var pageHeight = 1
    /// CPU and memory of the running tasks on screen.
    let sampler = ProcessSampler()

    init(jobID: JobID) { self.jobID = jobID }

    /// The selected task's id, once the list is known.
    var selectedTask: TaskIndex? { cursor.selectedID }

    /// What a bulk key acts on: the marked tasks in id order, else the selected one.
    var targets: [TaskIndex] {
        marks.isEmpty ? selectedTask.map { [$0] } ?? [] : marks.sorted()
    }

    /// Marks every task the filter and search show.
    mutating func markAllShown(_ job: JobRecord?) {
        guard let rows = job?.tasks else { return }
        for row in 0..<ordering.count {
            let id = ordering.task(atRow: row)
            if let search, !(search.matches(rows[id].name) || search.query == String(id)) { continue }
            marks.insert(id)
        }
    }

    /// MESSAGE and TIME stay longest (what a user scans for); CPU, memory, PID and the start
    /// time go first when the terminal is narrow.
    static let columns: [Table.Column] = [
        .init(title: "ID", width: 5, alignRight: true),
        .init(title: "STATUS", width: 13),
        .init(title: "NAME", width: 12, flexible: true, weight: 2),
        .init(title: "TRY", width: 3, alignRight: true, dropOrder: 4),
        .init(title: "PROGRESS", width: 12, dropOrder: 3),
        .init(title: "CPU", width: 5, alignRight: true, dropOrder: 8),
        .init(title: "RSS", width: 7, alignRight: true, dropOrder: 7),
        .init(title: "PID", width: 7, alignRight: true, dropOrder: 6),
        .init(title: "STARTED", width: 8, dropOrder: 5),
        .init(title: "TIME", width: 7, alignRight: true, dropOrder: 1),
        .init(title: "MESSAGE", width: 10, flexible: true, dropOrder: 2),
    ]

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        let top = 2
        let height = max(1, canvas.height - top - 2)
        pageHeight = height
        guard let job = model.jobs[jobID] else {
            Chrome.drawTitle(&canvas, "Job \(jobID)", detail: "not known to the scheduler", context: context)
            return
        }
        var detail = "\(job.doneCount)/\(job.taskCount) done"
        if let pace = JobPace(job, now: context.now) { detail += " · " + pace.text }
        detail += " · sort: \(ordering.sort.rawValue)"
        if !ordering.filter.isEmpty {
            detail += " · filter: " + TaskStatus.allCases.filter { ordering.filter.contains($0) }.map { Formatting.label($0) }.joined(separator: ",")
        }
        if let search { detail += " · /\(search.query)" }
        if !marks.isEmpty { detail += " · \(marks.count) marked" }
        if model.isLoadingTasks(jobID), let loaded = job.tasks?.count {
            detail += " · loading \(loaded)/\(job.taskCount)…"
        }
        Chrome.drawTitle(&canvas, "Job \(jobID) \(job.info.name) › tasks", detail: detail, context: context)
        let layout = Table.layout(Self.columns, width: canvas.width)
        for (index, x, width) in layout {
            let column = Self.columns[index]
            canvas.cell(column.title, x: x, y: top, width: width, style: context.style(.columnTitle), alignRight: column.alignRight)
        }
        guard let tasks = job.tasks else {
            canvas.put(model.isLoadingTasks(jobID) ? " loading \(job.taskCount) tasks…" : " (tasks not loaded)", x: 0, y: top + 1, style: context.style(.muted))
            return
        }
        ordering.update(tasks, revision: job.rowsRevision, now: context.now)
        let order = ordering
        let selected = cursor.settle(count: order.count, height: height - 1,
                                     indexOf: { order.row(ofTask: $0) }, idAt: { order.task(atRow: $0) })
        if order.count == 0 {
            canvas.put(" no tasks match the filter (f to change it)", x: 0, y: top + 1, style: context.style(.muted))
            return
        }
        var y = top + 1
        var row = cursor.top
        var shownPids = Set<Int32>()
        while y < top + height, row < order.count {
            let task = tasks[order.task(atRow: row)]
            drawRow(&canvas, task, y: y, layout: layout, selected: row == selected, context: context)
            if let pid = task.pid, task.status.isActive { shownPids.insert(pid) }
            y += 1
            row += 1
        }
        sampler.keep(only: shownPids)
    }

    private func drawRow(_ canvas: inout Canvas, _ task: TaskRow, y: Int, layout: [(index: Int, x: Int, width: Int)], selected: Bool, context: RenderContext) {
        let base = selected ? context.style(.selection) : context.style(.text)
        if selected { canvas.fill(row: y, style: base) }
        let statusStyle = context.style(task.status, selected: selected)
        let muted = context.theme.style(for: .muted, selected: selected)
        for (index, x, width) in layout {
            switch index {
            case 0:
                canvas.cell(String(task.id), x: x, y: y, width: width, style: muted, alignRight: true)
                if marks.contains(task.id) { canvas.put(context.ascii ? "*" : "●", x: x, y: y, style: context.style(.warning).adding(.bold)) }
            case 1: canvas.cell("\(context.symbol(task.status)) \(Formatting.label(task.status))", x: x, y: y, width: width, style: statusStyle)
            case 2:
                canvas.cell(task.name, x: x, y: y, width: width, style: base)
                if let search, let mark = search.highlight(in: task.name), mark.offset < width {
                    let matched = String(task.name.dropFirst(mark.offset).prefix(mark.width))
                    canvas.put(matched, x: x + mark.offset, y: y, maxWidth: width - mark.offset, style: context.style(.searchMatch))
                }
            case 3: canvas.cell(task.attempts > 0 ? String(task.attempts) : "", x: x, y: y, width: width, style: base, alignRight: true)
            case 4:
                if let progress = task.progress, task.status == .running || task.status == .canceling {
                    StatusBar.progress(&canvas, percent: progress.percent, x: x, y: y, width: width, style: statusStyle, context: context)
                } else if task.status.isFinished {
                    canvas.cell(task.progress.map { "\($0.percent)%" } ?? "", x: x, y: y, width: width, style: muted, alignRight: true)
                }
            case 5, 6:
                // A finished attempt shows what it used in all (CPU time, peak RSS), like seff.
                let used = index == 5 ? task.cpuTime.map({ Formatting.duration($0) }) : task.peakRSS.map(Formatting.bytes)
                if !task.status.isActive, let used {
                    canvas.cell(used, x: x, y: y, width: width, style: muted, alignRight: true)
                    continue
                }
                guard let pid = task.pid, task.status.isActive, let sample = sampler.sample(pid) else { continue }
                let text = index == 5 ? sample.cpuPercent.map { String(format: "%.0f%%", $0) } ?? "" : Formatting.bytes(sample.residentBytes)
                canvas.cell(text, x: x, y: y, width: width, style: muted, alignRight: true)
            case 7: canvas.cell(task.pid.map(String.init) ?? "", x: x, y: y, width: width, style: muted, alignRight: true)
            case 8: canvas.cell(Formatting.clock(task.startedAt, now: context.now), x: x, y: y, width: width, style: muted)
            case 9: canvas.cell(Formatting.duration(task.duration(now: context.now)), x: x, y: y, width: width, style: base, alignRight: true)
            default: canvas.cell(task.shortMessage, x: x, y: y, width: width, style: muted)
            }
        }
    }

    // MARK: Keys

    /// Brings the order and selection up to date with the model before a key acts on them.
    mutating func settleSelection(_ model: MonitorModel, now: Date) {
        guard let job = model.jobs[jobID], let tasks = job.tasks else { return }
        ordering.update(tasks, revision: job.rowsRevision, now: now)
        let order = ordering
        _ = cursor.settle(count: order.count, height: max(1, pageHeight - 1),
                          indexOf: { order.row(ofTask: $0) }, idAt: { order.task(atRow: $0) })
    }

    mutating func move(by delta: Int) {
        let ordering = self.ordering
        cursor.move(by: delta, count: ordering.count, idAt: { ordering.task(atRow: $0) })
    }

    mutating func select(index: Int) {
        let ordering = self.ordering
        cursor.select(index: index, count: ordering.count, idAt: { ordering.task(atRow: $0) })
    }

    /// Moves to the next (or previous) task whose name matches the search, wrapping around.
    mutating func findNext(in job: JobRecord, backwards: Bool) -> Bool {
        guard let search, let tasks = job.tasks, ordering.count > 0 else { return false }
        let count = ordering.count
        let start = cursor.selectedIndex
        for step in 1...count {
            let row = ((start + (backwards ? -step : step)) % count + count) % count
            let task = tasks[ordering.task(atRow: row)]
            if search.matches(task.name) || search.query == String(task.id) {
                select(index: row)
                return true
            }
        }
        return false
    }
}
