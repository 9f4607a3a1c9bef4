import Foundation
import TaskmonKit

/// One task in full, a tab per kind of data it returned.
struct TaskDetailScreen {
    let jobID: JobID
    let taskID: TaskIndex
    var tab: DetailTab
    /// The task as last fetched; nil until the first answer.
    var task: TaskInfo?
    /// A fetch is on its way; another is wanted when it lands.
    var loading = false
    var stale = false
    /// First line shown, per text tab.
    var textTop: [DetailTab: Int] = [:]
    var wrap = true
    private(set) var bodyHeight = 1
    private(set) var bodyWidth = 1
    /// The Output and Errors documents, opened when their tab is first shown.
    var documents: [DetailTab: OutputDocument] = [:]
    /// The attempt the documents were opened for: a retry starts fresh output.
    var documentsAttempt: Int?
    /// Stream tabs opened on a finished task, shown at their end once and then left there.
    var openedAtEnd: Set<DetailTab> = []

    init(jobID: JobID, taskID: TaskIndex, tab: DetailTab) {
        self.jobID = jobID
        self.taskID = taskID
        self.tab = tab
    }

    /// The tab to open first: where the news is. A timed-out or failed task's exception says
    /// what happened; an interrupted one's signal is in Info; a failure without an exception
    /// left its story on standard error.
    static func defaultTab(for row: TaskRowInfo?) -> DetailTab {
        guard let row else { return .output }
        switch row.status {
        case .failed, .environmentError, .timedOut: return row.exceptionType == nil && row.status != .timedOut ? .errors : .exception
        case .interrupted: return .info
        case .canceled, .canceling: return .cancellation
        case .completed: return .result
        default: return .output
        }
    }

    mutating func draw(_ canvas: inout Canvas, row: TaskRow?, context: RenderContext) {
        let status = task?.status ?? row?.status
        let name = task?.name ?? row?.name ?? ""
        var x = Chrome.drawTitle(&canvas, "Task \(jobID)/\(taskID) \(name)", context: context)
        if let status {
            x += canvas.put("  \(context.symbol(status)) \(status.name)", x: x, y: 1, maxWidth: canvas.width - x,
                            style: context.style(status).adding(.bold))
        }
        var detail = ""
        if let attempts = task?.attempts ?? row?.attempts, attempts > 0 { detail += " · attempt \(attempts)" }
        if loading && task == nil { detail += " · loading…" }
        canvas.put(detail, x: x, y: 1, maxWidth: canvas.width - x, style: context.style(.muted))
        let tabsEnd = drawTabs(&canvas, y: 2, context: context)
        let top = 3
        bodyHeight = max(1, canvas.height - top - 1)
        bodyWidth = canvas.width
        if tab.isStream, let document = documents[tab] {
            let empty = tab == .output ? "no standard output" : "no standard error"
            OutputPane.draw(&canvas, document: document, top: top, height: bodyHeight, wrap: wrap,
                            emptyText: (status?.isActive ?? false) ? empty + " yet" : empty, context: context)
            // A finished stream opened at its end (where the error usually is) stays there.
            if openedAtEnd.remove(tab) != nil { document.setFollowing(false) }
            // Size, position and follow state at the tab bar's right end, where there is room.
            let room = canvas.width - tabsEnd - 1
            let text = OutputPane.status(document) + " "
            let width = min(Canvas.measure(text), room)
            canvas.cell(text, x: canvas.width - width, y: 2, width: width, style: context.style(.tabInactive), alignRight: true)
            return
        }
        guard let task else { return }
        if tab.isStream {
            canvas.put(" connecting to the output…", x: 0, y: top, style: context.style(.muted))
        } else {
            drawText(&canvas, lines: DetailText.lines(for: tab, task: task, now: context.now), top: top, tabsEnd: tabsEnd, context: context)
        }
    }

    /// Draws the tab bar; returns the column after the last tab.
    @discardableResult
    private func drawTabs(_ canvas: inout Canvas, y: Int, context: RenderContext) -> Int {
        canvas.fill(row: y, style: context.style(.tabInactive))
        var x = 1
        for candidate in DetailTab.allCases {
            let label = " \(candidate.rawValue + 1) \(candidate.title)\(badge(candidate)) "
            let style = candidate == tab ? context.style(.tabActive) : context.style(.tabInactive)
            guard x + Canvas.measure(label) <= canvas.width else { break }
            x += canvas.put(label, x: x, y: y, style: style) + 1
        }
        return x
    }

    /// A mark on tabs that have something to show, so a failed task's Exception stands out.
    private func badge(_ candidate: DetailTab) -> String {
        guard let task else { return "" }
        switch candidate {
        case .properties: return task.properties.isEmpty ? "" : " (\(task.properties.count))"
        case .exception: return task.exception == nil ? "" : " !"
        case .cancellation: return task.cancellationReason == .none ? "" : " !"
        case .result: return task.result == nil ? "" : " ✓"
        default: return ""
        }
    }

    private func drawText(_ canvas: inout Canvas, lines: [String], top: Int, tabsEnd: Int, context: RenderContext) {
        let first = textTop[tab] ?? 0
        let width = canvas.width - 1
        let options = TerminalText.Options(keepsColors: false, colorDepth: context.theme.depth, overlaysCarriageReturns: true)
        var y = top
        var index = first
        while y < canvas.height - 1, index < lines.count {
            let line = TerminalText.displayLine(lines[index], options: options, startColumn: 0, maxColumns: wrap ? .max : width)
            for range in wrap ? line.rows(width: width) : [0..<line.glyphs.count] where y < canvas.height - 1 {
                canvas.put(line, glyphRange: range, x: 1, y: y, maxWidth: width, style: context.style(.text))
                y += 1
            }
            if line.glyphs.isEmpty { y += 1 }
            index += 1
        }
        if lines.count > bodyHeight, canvas.width - 16 > tabsEnd {
            let position = "\(min(lines.count, first + 1))–\(min(lines.count, first + bodyHeight))/\(lines.count)"
            canvas.cell(position, x: canvas.width - 16, y: 2, width: 15, style: context.style(.muted), alignRight: true)
        }
    }

    /// The pane's layout for the current stream tab.
    var outputLayout: OutputLayout { OutputPane.layout(height: bodyHeight, width: bodyWidth, wrap: wrap) }

    /// The document of the current tab, opening it on first use: following the end while
    /// the task runs, from the top once it has finished.
    mutating func currentDocument(source: (OutputStreamName) -> (any OutputSource)?, running: Bool) -> OutputDocument? {
        guard tab.isStream else { return nil }
        if let document = documents[tab] { return document }
        guard let source = source(tab == .output ? .stdout : .stderr) else { return nil }
        // Following while it runs; a finished one opens at its end too, but stays put: the
        // first frame's end becomes the view (see `openedAtEnd`).
        let document = OutputDocument(source: source, following: true)
        if !running { openedAtEnd.insert(tab) }
        documents[tab] = document
        return document
    }

    /// Scrolls a text tab by `delta` lines (clamped).
    mutating func scrollText(by delta: Int, now: Date) {
        guard let task else { return }
        let count = DetailText.lines(for: tab, task: task, now: now).count
        let current = textTop[tab] ?? 0
        textTop[tab] = max(0, min(max(0, count - bodyHeight), current + delta))
    }
}
