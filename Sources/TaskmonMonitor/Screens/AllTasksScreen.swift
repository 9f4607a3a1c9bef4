import Foundation
import TaskmonKit

/// Every job's tasks in one list, filtered by status and a name pattern (a regular
/// expression), sorted like a job's list: "which tasks failed today, whatever their job".
struct AllTasksScreen {
    var cursor = ListCursor()
    var filter: Set<TaskStatus> = []
    var sort = TaskOrdering.SortKey.status
    /// The name filter as typed, and compiled (case-insensitive).
    private(set) var pattern: String?
    private var regex: NSRegularExpression?
    var marks: Set<TaskRef> = []
    private(set) var order: [TaskRef] = []
    /// Row of each task in `order`, by cursor id: built with the order, not per frame.
    private var rowOf: [Int: Int] = [:]
    private(set) var pageHeight = 1
    private var computedFor: (revisions: [UInt64], filter: Set<TaskStatus>, sort: TaskOrdering.SortKey, pattern: String?)?
    private var computedAt = Date.distantPast

    /// Sets the name filter; returns false (and keeps none) when `text` is not a valid pattern.
    mutating func setPattern(_ text: String) -> Bool {
        guard !text.isEmpty else {
            pattern = nil
            regex = nil
            return true
        }
        guard let compiled = try? NSRegularExpression(pattern: text, options: [.caseInsensitive]) else { return false }
        pattern = text
        regex = compiled
        return true
    }

    var selected: TaskRef? { order[safe: cursor.selectedIndex] }

    /// What a bulk key acts on: the marked tasks, else the selected one.
    var targets: [TaskRef] {
        marks.isEmpty ? selected.map { [$0] } ?? [] : marks.sorted { ($0.jobID, $0.taskID) < ($1.jobID, $1.taskID) }
    }

    private static func id(_ ref: TaskRef) -> Int { Int(ref.jobID) << 24 | ref.taskID }

    /// Recomputes the order when rows, the filter, the sort or the pattern changed (the
    /// duration sort at most once a second).
    mutating func update(_ model: MonitorModel, now: Date) {
        let revisions = model.jobOrder.map { model.jobs[$0].map { $0.rowsRevision &+ UInt64($0.tasks?.count ?? 0) } ?? 0 }
        if let computed = computedFor, computed.revisions == revisions, computed.filter == filter, computed.sort == sort,
           computed.pattern == pattern, sort != .duration || now.timeIntervalSince(computedAt) < 1 {
            return
        }
        computedFor = (revisions, filter, sort, pattern)
        computedAt = now
        var entries: [(ref: TaskRef, row: TaskRowInfo)] = []
        for job in model.jobOrder {
            guard let rows = model.jobs[job]?.tasks else { continue }
            for row in rows where filter.isEmpty || filter.contains(row.info.status) {
                if let regex {
                    let name = row.info.name
                    guard regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil else { continue }
                }
                entries.append((TaskRef(jobID: job, taskID: row.info.id), row.info))
            }
        }
        let rank = TaskOrdering.statusRank
        func key(_ entry: (ref: TaskRef, row: TaskRowInfo)) -> (Int64, Int) { (entry.ref.jobID, entry.ref.taskID) }
        switch sort {
        case .id: break
        case .status: entries.sort { (rank[$0.row.status.rawValue], key($0).0, key($0).1) < (rank[$1.row.status.rawValue], key($1).0, key($1).1) }
        case .name: entries.sort { ($0.row.name, key($0).0, key($0).1) < ($1.row.name, key($1).0, key($1).1) }
        case .started:
            entries.sort { ($0.row.startedAt ?? .distantFuture, key($0).0, key($0).1) < ($1.row.startedAt ?? .distantFuture, key($1).0, key($1).1) }
        case .duration:
            func duration(_ row: TaskRowInfo) -> TimeInterval { row.startedAt.map { (row.finishedAt ?? now).timeIntervalSince($0) } ?? -1 }
            entries.sort { (duration($0.row), -key($0).0) > (duration($1.row), -key($1).0) }
        }
        order = entries.map(\.ref)
        rowOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { (Self.id($0.element), $0.offset) })
    }

    mutating func settle(_ model: MonitorModel, now: Date) {
        update(model, now: now)
        let order = order
        let rowOf = rowOf
        _ = cursor.settle(count: order.count, height: max(1, pageHeight - 1), indexOf: { rowOf[$0] }, idAt: { Self.id(order[$0]) })
    }

    mutating func move(by delta: Int) {
        let order = order
        cursor.move(by: delta, count: order.count, idAt: { Self.id(order[$0]) })
    }

    mutating func select(index: Int) {
        let order = order
        cursor.select(index: index, count: order.count, idAt: { Self.id(order[$0]) })
    }

    static let columns: [Table.Column] = [
        .init(title: "TASK", width: 9, alignRight: true),
        .init(title: "STATUS", width: 13),
        .init(title: "NAME", width: 12, flexible: true, weight: 2),
        .init(title: "JOB", width: 12, flexible: true, dropOrder: 3),
        .init(title: "TRY", width: 3, alignRight: true, dropOrder: 4),
        .init(title: "STARTED", width: 8, dropOrder: 5),
        .init(title: "TIME", width: 7, alignRight: true, dropOrder: 1),
        .init(title: "MESSAGE", width: 10, flexible: true, dropOrder: 2),
    ]

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext, loading: Int) {
        let top = 2
        let height = max(1, canvas.height - top - 2)
        pageHeight = height
        settle(model, now: context.now)
        var detail = "\(order.count) task\(order.count == 1 ? "" : "s") · sort: \(sort.rawValue)"
        if !filter.isEmpty {
            detail += " · filter: " + TaskStatus.allCases.filter { filter.contains($0) }.map { Formatting.label($0) }.joined(separator: ",")
        }
        if let pattern { detail += " · name ~ /\(pattern)/" }
        if !marks.isEmpty { detail += " · \(marks.count) marked" }
        if loading > 0 { detail += " · loading \(loading) job\(loading == 1 ? "" : "s")…" }
        Chrome.drawTitle(&canvas, "All tasks", detail: detail, context: context)
        let layout = Table.layout(Self.columns, width: canvas.width)
        for (index, x, width) in layout {
            let column = Self.columns[index]
            canvas.cell(column.title, x: x, y: top, width: width, style: context.style(.columnTitle), alignRight: column.alignRight)
        }
        if order.isEmpty {
            canvas.put(loading > 0 ? " loading…" : " no task matches (f: status filter, /: name pattern)", x: 0, y: top + 1,
                       style: context.style(.muted))
            return
        }
        var y = top + 1
        var index = cursor.top
        while y < top + height, index < order.count {
            let ref = order[index]
            if let job = model.jobs[ref.jobID], let task = job.tasks?[safe: ref.taskID] {
                let selected = index == cursor.selectedIndex
                let base = selected ? context.style(.selection) : context.style(.text)
                if selected { canvas.fill(row: y, style: base) }
                let muted = context.theme.style(for: .muted, selected: selected)
                for (column, x, width) in layout {
                    switch column {
                    case 0:
                        canvas.cell("\(ref.jobID)/\(ref.taskID)", x: x, y: y, width: width, style: muted, alignRight: true)
                        if marks.contains(ref) { canvas.put(context.ascii ? "*" : "●", x: x, y: y, style: context.style(.warning).adding(.bold)) }
                    case 1: canvas.cell("\(context.symbol(task.status)) \(Formatting.label(task.status))", x: x, y: y, width: width,
                                        style: context.style(task.status, selected: selected))
                    case 2: canvas.cell(task.name, x: x, y: y, width: width, style: base)
                    case 3: canvas.cell(job.info.name, x: x, y: y, width: width, style: muted)
                    case 4: canvas.cell(task.attempts > 0 ? String(task.attempts) : "", x: x, y: y, width: width, style: base, alignRight: true)
                    case 5: canvas.cell(Formatting.clock(task.startedAt, now: context.now), x: x, y: y, width: width, style: muted)
                    case 6: canvas.cell(Formatting.duration(task.duration(now: context.now)), x: x, y: y, width: width, style: base, alignRight: true)
                    default: canvas.cell(task.shortMessage, x: x, y: y, width: width, style: muted)
                    }
                }
            }
            y += 1
            index += 1
        }
    }
}
