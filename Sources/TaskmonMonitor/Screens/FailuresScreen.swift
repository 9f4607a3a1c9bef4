import Foundation
import TaskmonKit

/// Failed tasks that failed the same way: one exception type and message (or, without an
/// exception, one exit code, signal or timeout).
package struct FailureGroup: Equatable {
    /// The exception type, or how the task ended (`exit 3`, `timeout`).
    package var type: String
    /// The first line of the exception's message ("" when there is none).
    package var message: String
    /// Its tasks, earliest failure first.
    package var tasks: [TaskRef]
    package var first: Date?
    package var last: Date?
    /// How many jobs it spans.
    package var jobCount: Int

    /// The group in one line: `ValueError: missing texture`.
    package var title: String { message.isEmpty ? type : "\(type): \(message)" }

    /// Groups the failed, timed-out and environment-error tasks of `jobs`, biggest group first
    /// (then by type and message). Cost: one pass over the rows and a sort of the failures.
    package static func groups(_ jobs: [(JobID, [TaskRow])]) -> [FailureGroup] {
        struct Key: Hashable {
            var type: String
            var message: String
        }
        struct Member {
            var ref: TaskRef
            var at: Date?
        }
        var members: [Key: [Member]] = [:]
        let failed = Set(TaskStatus.retryableFailures)
        for (job, rows) in jobs {
            for row in rows where failed.contains(row.info.status) {
                let info = row.info
                let key = Key(type: info.exceptionType.flatMap { $0 == "ExitStatus" ? nil : $0 } ?? info.shortMessage,
                              message: info.exceptionMessage ?? "")
                members[key, default: []].append(Member(ref: TaskRef(jobID: job, taskID: info.id), at: info.finishedAt))
            }
        }
        var groups = members.map { key, list -> FailureGroup in
            let sorted = list.sorted { ($0.at ?? .distantFuture, $0.ref.jobID, $0.ref.taskID) < ($1.at ?? .distantFuture, $1.ref.jobID, $1.ref.taskID) }
            return FailureGroup(type: key.type.isEmpty ? "failed" : key.type, message: key.message, tasks: sorted.map(\.ref),
                                first: sorted.compactMap(\.at).first, last: sorted.compactMap(\.at).last,
                                jobCount: Set(sorted.map(\.ref.jobID)).count)
        }
        groups.sort { ($0.tasks.count, $1.type, $1.message) > ($1.tasks.count, $0.type, $0.message) }
        return groups
    }
}

/// A job's (or every job's) failures, grouped: the first place to look when 300 of 10,000
/// tasks fail. Enter opens a group into its tasks, and a task into its detail.
struct FailuresScreen {
    /// The job, or nil for every job.
    let scope: JobID?
    /// The jobs whose rows it reads.
    let jobs: [JobID]
    private(set) var groups: [FailureGroup] = []
    /// Groups opened into their tasks, by title.
    var expanded: Set<String> = []
    var cursor = ListCursor()
    private(set) var pageHeight = 1
    private var computedFor: [UInt64] = []

    enum Row: Equatable {
        case group(Int)
        case task(TaskRef)
    }

    init(scope: JobID?, jobs: [JobID]) {
        self.scope = scope
        self.jobs = jobs
    }

    /// Regroups when a job's rows changed.
    mutating func refresh(_ model: MonitorModel) {
        let revisions = jobs.map { id in model.jobs[id].map { $0.rowsRevision &+ UInt64($0.tasks?.count ?? 0) } ?? 0 }
        guard revisions != computedFor else { return }
        computedFor = revisions
        groups = FailureGroup.groups(jobs.compactMap { id in model.jobs[id]?.tasks.map { (id, $0) } })
    }

    var rows: [Row] {
        var rows: [Row] = []
        for (index, group) in groups.enumerated() {
            rows.append(.group(index))
            if expanded.contains(group.title) { rows += group.tasks.map { .task($0) } }
        }
        return rows
    }

    private static func id(of row: Row) -> Int {
        switch row {
        case .group(let index): -(index + 1)
        case .task(let ref): Int(ref.jobID) << 24 | ref.taskID
        }
    }

    var selectedRow: Row? {
        let rows = rows
        return rows[safe: cursor.selectedIndex]
    }

    /// The group of the selected row (a task row belongs to the group above it).
    var selectedGroup: FailureGroup? {
        let rows = rows
        guard !rows.isEmpty else { return nil }
        for index in stride(from: min(cursor.selectedIndex, rows.count - 1), through: 0, by: -1) {
            if case .group(let group) = rows[index] { return groups[group] }
        }
        return nil
    }

    mutating func toggle(_ group: Int) {
        let title = groups[group].title
        if expanded.remove(title) == nil { expanded.insert(title) }
    }

    mutating func move(by delta: Int) {
        let rows = rows
        cursor.move(by: delta, count: rows.count, idAt: { Self.id(of: rows[$0]) })
    }

    mutating func select(index: Int) {
        let rows = rows
        cursor.select(index: index, count: rows.count, idAt: { Self.id(of: rows[$0]) })
    }

    static let columns: [Table.Column] = [
        .init(title: "TASKS", width: 7, alignRight: true),
        .init(title: "FAILED WITH", width: 20, flexible: true),
        .init(title: "JOBS", width: 4, alignRight: true, dropOrder: 3),
        .init(title: "FIRST", width: 8, dropOrder: 2),
        .init(title: "LAST", width: 8, dropOrder: 1),
    ]

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        refresh(model)
        let top = 2
        let height = max(1, canvas.height - top - 2)
        pageHeight = height
        let failed = groups.reduce(0) { $0 + $1.tasks.count }
        var detail = "\(groups.count) group\(groups.count == 1 ? "" : "s") · \(failed) failed task\(failed == 1 ? "" : "s")"
        let loading = jobs.filter { model.isLoadingTasks($0) }.count
        if loading > 0 { detail += " · loading \(loading) job\(loading == 1 ? "" : "s")…" }
        let title = scope.map { "Job \($0) \(model.jobs[$0]?.info.name ?? "") › failures" } ?? "Failures of every job"
        Chrome.drawTitle(&canvas, title, detail: detail, context: context)
        let layout = Table.layout(Self.columns, width: canvas.width)
        for (index, x, width) in layout {
            let column = Self.columns[index]
            canvas.cell(column.title, x: x, y: top, width: width, style: context.style(.columnTitle), alignRight: column.alignRight)
        }
        let rows = rows
        let selected = cursor.settle(count: rows.count, height: height - 1,
                                     indexOf: { id in rows.firstIndex { Self.id(of: $0) == id } }, idAt: { Self.id(of: rows[$0]) })
        if rows.isEmpty {
            canvas.put(loading > 0 ? " loading…" : " no failed tasks", x: 0, y: top + 1, style: context.style(.muted))
            return
        }
        var y = top + 1
        var index = cursor.top
        while y < top + height, index < rows.count {
            let isSelected = index == selected
            let base = isSelected ? context.style(.selection) : context.style(.text)
            if isSelected { canvas.fill(row: y, style: base) }
            let muted = context.theme.style(for: .muted, selected: isSelected)
            switch rows[index] {
            case .group(let number):
                let group = groups[number]
                let open = expanded.contains(group.title)
                for (column, x, width) in layout {
                    switch column {
                    case 0: canvas.cell(String(group.tasks.count), x: x, y: y, width: width, style: context.style(.failed, selected: isSelected), alignRight: true)
                    case 1: canvas.cell((open ? (context.ascii ? "- " : "▾ ") : (context.ascii ? "+ " : "▸ ")) + group.title, x: x, y: y, width: width, style: base)
                    case 2: canvas.cell(String(group.jobCount), x: x, y: y, width: width, style: muted, alignRight: true)
                    case 3: canvas.cell(Formatting.clock(group.first, now: context.now), x: x, y: y, width: width, style: muted)
                    default: canvas.cell(Formatting.clock(group.last, now: context.now), x: x, y: y, width: width, style: muted)
                    }
                }
            case .task(let ref):
                let row = model.jobs[ref.jobID]?.tasks?[safe: ref.taskID]
                let x = layout.count > 1 ? layout[1].x + 2 : 2
                let text = "\(ref.jobID)/\(ref.taskID)  \(row?.name ?? "")  \(row.map { Formatting.label($0.status) } ?? "")"
                canvas.put(text, x: x, y: y, maxWidth: canvas.width - x, style: base)
                if let finished = row?.finishedAt, layout.count > 4 {
                    canvas.cell(Formatting.clock(finished, now: context.now), x: layout[4].x, y: y, width: layout[4].width, style: muted)
                }
            }
            y += 1
            index += 1
        }
    }
}
