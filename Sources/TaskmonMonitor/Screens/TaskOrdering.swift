import Foundation
import TaskmonKit

/// The order the tasks screen shows a job's tasks in, after filtering and sorting.
///
/// Recomputed only when the job's rows, the filter or the sort change (and for the duration
/// sort, at most once a second), so drawing a frame of a 100,000-task job costs only the
/// visible rows.
struct TaskOrdering {
    enum SortKey: String, CaseIterable {
        case id, status, name, started, duration

        var next: SortKey {
            let all = Self.allCases
            return all[(all.firstIndex(of: self)! + 1) % all.count]
        }
    }

    var sort = SortKey.id
    /// Statuses shown; empty shows all.
    var filter: Set<TaskStatus> = []
    /// Task ids in display order.
    private(set) var order: [Int32] = []
    /// Row of each task id in `order`, or -1 when filtered out.
    private var rowOfTask: [Int32] = []
    private var computedFor: (revision: UInt64, sort: SortKey, filter: Set<TaskStatus>, count: Int)?
    private var computedAt = Date.distantPast

    var count: Int { order.count }

    func row(ofTask id: Int) -> Int? {
        guard id >= 0, id < rowOfTask.count, rowOfTask[id] >= 0 else { return nil }
        return Int(rowOfTask[id])
    }

    func task(atRow row: Int) -> Int { Int(order[row]) }

    mutating func update(_ tasks: [TaskRow], revision: UInt64, now: Date) {
        if let computed = computedFor, computed.revision == revision, computed.sort == sort,
           computed.filter == filter, computed.count == tasks.count {
            return
        }
        if let computed = computedFor, sort == .duration, computed.sort == .duration, computed.filter == filter,
           computed.count == tasks.count, now.timeIntervalSince(computedAt) < 1 {
            return
        }
        computedFor = (revision, sort, filter, tasks.count)
        computedAt = now
        var kept: [Int32] = []
        kept.reserveCapacity(tasks.count)
        for task in tasks where filter.isEmpty || filter.contains(task.info.status) {
            kept.append(Int32(task.info.id))
        }
        switch sort {
        case .id:
            break
        case .status:
            // Failures first, then what is running, then the rest; stable by id.
            let rank = Self.statusRank
            kept = Self.stableSorted(kept) { rank[tasks[Int($0)].info.status.rawValue] < rank[tasks[Int($1)].info.status.rawValue] }
        case .name:
            kept = Self.stableSorted(kept) { tasks[Int($0)].info.name < tasks[Int($1)].info.name }
        case .started:
            kept = Self.stableSorted(kept) {
                (tasks[Int($0)].info.startedAt ?? .distantFuture) < (tasks[Int($1)].info.startedAt ?? .distantFuture)
            }
        case .duration:
            kept = Self.stableSorted(kept) {
                (tasks[Int($0)].duration(now: now) ?? -1) > (tasks[Int($1)].duration(now: now) ?? -1)
            }
        }
        order = kept
        rowOfTask = [Int32](repeating: -1, count: tasks.count)
        for (row, id) in kept.enumerated() { rowOfTask[Int(id)] = Int32(row) }
    }

    private static func stableSorted(_ ids: [Int32], by less: (Int32, Int32) -> Bool) -> [Int32] {
        ids.sorted { less($0, $1) || (!less($1, $0) && $0 < $1) }
    }

    /// Sort rank per status value.
    static let statusRank: [Int] = {
        let order: [TaskStatus] = [.failed, .environmentError, .timedOut, .interrupted, .canceling, .running,
                                   .assigned, .submitted, .notSubmitted, .canceled, .completed]
        var rank = [Int](repeating: 0, count: TaskStatus.allCases.count)
        for (index, status) in order.enumerated() { rank[status.rawValue] = index }
        return rank
    }()
}

/// A search over a list: the query and whether an item matches it.
struct ListSearch: Equatable {
    var query: String

    func matches(_ text: String) -> Bool {
        !query.isEmpty && text.range(of: query, options: [.caseInsensitive]) != nil
    }

    /// Where the first match sits in `text`, as (columns before it, columns it covers).
    func highlight(in text: String) -> (offset: Int, width: Int)? {
        guard !query.isEmpty, let range = text.range(of: query, options: [.caseInsensitive]) else { return nil }
        return (Canvas.measure(String(text[..<range.lowerBound])), Canvas.measure(String(text[range])))
    }
}
