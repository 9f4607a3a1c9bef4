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
    /// First row shown, per text tab.
    var textTop: [DetailTab: Int] = [:]
    /// The line of each text tab that the search went to.
    var textMatch: [DetailTab: Int] = [:]
    var wrap = true
    /// Columns scrolled sideways when not wrapping (`<` `>`).
    var horizontalOffset = 0
    /// What `/` looks for in a text tab; nil when no search.
    var textSearch: String?
    private(set) var bodyHeight = 1
    private(set) var bodyWidth = 1
    /// The Output and Errors documents, opened when their tab is first shown.
    var documents: [DetailTab: OutputDocument] = [:]
    /// The attempt the documents were opened for: a retry starts fresh output.
    var documentsAttempt: Int?
    /// Stream tabs opened on a finished task, shown at their end once and then left there.
    var openedAtEnd: Set<DetailTab> = []
    /// The earlier attempt shown (`[` `]`); nil: the current one.
    var attempt: Int?
    /// Where the job's environment output is, when the scheduler is on this machine.
    var stateDirectory: StateDirectory?
    /// The job's environment output for the Info tab, and when it was read.
    private var environment: (lines: [String], at: Date)?

    init(jobID: JobID, taskID: TaskIndex, tab: DetailTab) {
        self.jobID = jobID
        self.taskID = taskID
        self.tab = tab
    }

    /// The tab to open first: where the news is. A timed-out or failed task's exception says
    /// what happened (or says to look at Errors); an interrupted one's signal is in Info.
    static func defaultTab(for row: TaskRowInfo?) -> DetailTab {
        guard let row else { return .output }
        switch row.status {
        case .failed, .environmentError, .timedOut: return .exception
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
        if let attempt {
            detail += " · attempt \(attempt) of \(task?.attempts ?? row?.attempts ?? attempt) (earlier; ] later)"
        } else if let attempts = task?.attempts ?? row?.attempts, attempts > 0 {
            detail += " · attempt \(attempts)" + ((task?.attemptHistory.isEmpty ?? true) ? "" : " ([ earlier)")
        }
        if loading && task == nil { detail += " · loading…" }
        canvas.put(detail, x: x, y: 1, maxWidth: canvas.width - x, style: context.style(.muted))
        let tabsEnd = drawTabs(&canvas, y: 2, context: context)
        let top = 3
        bodyHeight = max(1, canvas.height - top - 1)
        bodyWidth = canvas.width
        if tab.isStream, let document = documents[tab] {
            let empty = tab == .output ? "no standard output" : "no standard error"
            OutputPane.draw(&canvas, document: document, top: top, height: bodyHeight, wrap: wrap,
                            horizontalOffset: horizontalOffset, emptyText: (status?.isActive ?? false) ? empty + " yet" : empty, context: context)
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
            refreshEnvironment(now: context.now)
            drawText(&canvas, rows: textRows(task, now: context.now), top: top, tabsEnd: tabsEnd, context: context)
        }
    }

    /// Draws the tab bar; returns the column after the last tab. Every tab stays reachable by
    /// eye: full titles where they fit, then short ones, then numbers with the current title.
    @discardableResult
    private func drawTabs(_ canvas: inout Canvas, y: Int, context: RenderContext) -> Int {
        canvas.fill(row: y, style: context.style(.tabInactive))
        let styles: [(DetailTab) -> String] = [
            { " \($0.rawValue + 1) \($0.title)\(badge($0)) " },
            { " \($0.rawValue + 1) \($0.shortTitle)\(badge($0)) " },
            { $0 == tab ? " \($0.rawValue + 1) \($0.shortTitle)\(badge($0)) " : " \($0.rawValue + 1)\(badge($0)) " },
        ]
        var labels = DetailTab.allCases.map(styles[0])
        // Eight columns stay free for the position and search status at the bar's right end.
        for style in styles.dropFirst() where labels.reduce(0, { $0 + Canvas.measure($1) + 1 }) + 9 > canvas.width {
            labels = DetailTab.allCases.map(style)
        }
        var x = 1
        for (candidate, label) in zip(DetailTab.allCases, labels) {
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

    /// The rows a text tab takes at the current width: long lines wrapped (or cut), each
    /// wrapped row indented under its line's value column (VALUE, Message:, …).
    func textRows(_ task: TaskInfo, now: Date) -> [DetailText.Row] {
        DetailText.rows(lines(task, now: now), indent: DetailText.valueColumn(for: tab, task: task),
                        width: max(1, bodyWidth - 1), wrap: wrap)
    }

    /// The current text tab's lines; Info ends with the job's environment output.
    func lines(_ task: TaskInfo, now: Date) -> [String] {
        DetailText.lines(for: tab, task: task, now: now) + (tab == .info ? environment?.lines ?? [] : [])
    }

    /// Reads the job's environment output again when Info shows and it is over 2 s old.
    mutating func refreshEnvironment(now: Date) {
        guard tab == .info, let stateDirectory else { return }
        if let environment, now.timeIntervalSince(environment.at) <= 2, now >= environment.at { return }
        environment = (EnvironmentOutput.lines(jobID, in: stateDirectory), now)
    }

    private func drawText(_ canvas: inout Canvas, rows: [DetailText.Row], top: Int, tabsEnd: Int, context: RenderContext) {
        let first = min(textTop[tab] ?? 0, max(0, rows.count - bodyHeight))
        let width = canvas.width - 1
        var y = top
        var index = first
        while y < canvas.height - 1, index < rows.count {
            let row = rows[index]
            let x = 1 + row.indent
            canvas.put(row.display, glyphRange: row.glyphs, x: x, y: y, maxWidth: width - row.indent, style: context.style(.text))
            if let query = textSearch, !query.isEmpty {
                let columns = row.display.glyphs[row.glyphs].reduce(0) { $0 + $1.width }
                for match in row.display.columnRanges(of: query)
                where match.upperBound > row.startColumn && match.lowerBound < row.startColumn + columns {
                    let from = max(match.lowerBound, row.startColumn) - row.startColumn
                    let to = min(match.upperBound, row.startColumn + columns) - row.startColumn
                    let style = row.line == textMatchLine ? context.style(.searchMatch).adding(.bold).adding(.underline).adding(.reverse)
                        : context.style(.searchMatch)
                    canvas.restyle(row: y, from: x + from, width: to - from) { _ in style }
                }
            }
            if !wrap, row.cut, width > 1 { canvas.put(context.ascii ? ">" : "›", x: width, y: y, style: context.style(.muted)) }
            y += 1
            index += 1
        }
        let searching = textSearch.map { !$0.isEmpty } ?? false
        if rows.count > bodyHeight || searching, canvas.width - 8 > tabsEnd {
            var position = rows.count > bodyHeight ? "\(min(rows.count, first + 1))–\(min(rows.count, first + bodyHeight))/\(rows.count)" : ""
            if let query = textSearch, searching {
                // Which matching line `n` is at, of how many: `match 2/5`.
                let matching = rows.filter { row in
                    row.glyphs.lowerBound == 0 && row.display.text.range(of: query, options: .caseInsensitive) != nil
                }.map(\.line)
                var search = "/\(query)"
                if let current = textMatchLine, let index = matching.firstIndex(of: current) {
                    search += " · match \(index + 1)/\(matching.count)"
                } else {
                    search += " · \(matching.count) line\(matching.count == 1 ? "" : "s")"
                }
                position = position.isEmpty ? search : search + " · " + position
            }
            let room = min(Canvas.measure(position), canvas.width - tabsEnd - 1)
            canvas.cell(position, x: canvas.width - room - 1, y: 2, width: room, style: context.style(.muted), alignRight: true)
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

    /// Shows the attempt `delta` steps older (negative) or newer among those kept, ending at the
    /// current one; false when there is none that way. The tabs start afresh for it.
    mutating func switchAttempt(by delta: Int) -> Bool {
        guard let task else { return false }
        let choices: [Int?] = task.attemptHistory.map(\.attempt) + [nil]
        guard let index = choices.firstIndex(of: attempt) else { return false }
        let next = index + delta
        guard next >= 0, next < choices.count, next != index else { return false }
        attempt = choices[next]
        documents = [:]
        documentsAttempt = nil
        openedAtEnd = []
        textTop = [:]
        textMatch = [:]
        return true
    }

    /// Scrolls a text tab by `delta` rows (clamped): every wrapped row of a long value can be
    /// reached.
    mutating func scrollText(by delta: Int, now: Date) {
        guard let task else { return }
        let count = textRows(task, now: now).count
        let current = min(textTop[tab] ?? 0, max(0, count - bodyHeight))
        textTop[tab] = max(0, min(max(0, count - bodyHeight), current + delta))
    }

    /// The line of the text match `n` went to.
    var textMatchLine: Int? {
        get { textMatch[tab] }
        set { textMatch[tab] = newValue }
    }

    /// Goes to the next (or previous) line of the text tab that contains ``textSearch``,
    /// wrapping around; `fromTop` starts from the first line shown. Returns false when no line has it.
    mutating func findText(backwards: Bool, now: Date, fromTop: Bool = false) -> Bool {
        guard let task, let query = textSearch, !query.isEmpty else { return false }
        let lines = lines(task, now: now)
        guard !lines.isEmpty else { return false }
        let rows = textRows(task, now: now)
        let topLine = rows[safe: textTop[tab] ?? 0]?.line ?? 0
        let start = fromTop ? topLine - (backwards ? -1 : 1) : (textMatchLine ?? topLine)
        for step in 1...lines.count {
            let index = ((start + (backwards ? -step : step)) % lines.count + lines.count) % lines.count
            guard TerminalText.sanitize(lines[index]).text.range(of: query, options: .caseInsensitive) != nil else { continue }
            textMatchLine = index
            // Show the line, a third down the pane unless it is already on screen.
            if let row = rows.firstIndex(where: { $0.line == index }) {
                let current = textTop[tab] ?? 0
                if row < current || row >= current + bodyHeight {
                    textTop[tab] = max(0, min(max(0, rows.count - bodyHeight), row - bodyHeight / 3))
                }
            }
            return true
        }
        return false
    }
}
