import Foundation
import TaskmonKit

/// The monitor's brain on the UI thread: the model, what the user looks at, and what keys do.
///
/// No terminal in here: keys and link messages go in, a `Canvas` comes out. The run loop
/// (``MonitorApp``) feeds it; tests drive it directly.
package final class MonitorController {
    package private(set) var model = MonitorModel()
    /// The request side of the scheduler link; nil in tests that only feed messages.
    let requests: ((LinkRequest) -> Void)?

    enum Route { case jobs, tasks, detail, failures, jobDetail, allTasks }
    var route = Route.jobs
    /// Where Esc goes back to, most recent last.
    var history: [Route] = []
    var jobs = JobsScreen()
    var tasks: TasksScreen?
    var detail: TaskDetailScreen?
    var failures: FailuresScreen?
    var jobDetail: JobDetailScreen? { didSet { if jobDetail?.jobID != oldValue?.jobID { jobDetailFetchedAt = nil } } }
    /// When the open job detail last asked for its job.
    var jobDetailFetchedAt: Date?
    var allTasks: AllTasksScreen?
    /// Jobs the user asked to be told about when they end (`b`).
    var watched: Set<JobID> = []
    /// Bytes for the terminal itself (OSC 52 copies, notifications) and programs to run on
    /// it (the pager), in order; the run loop carries them out after the frame.
    package var terminalRequests: [TerminalRequest] = []
    var overlay: Overlay?
    var notice: Notice?
    /// Where the scheduler keeps its files, when it runs on this machine: the job detail reads
    /// its environment's output there.
    package var stateDirectory: StateDirectory?
    /// The monitor's environment (TMUX decides how sequences reach the outer terminal).
    package var environment: [String: String] = [:]
    /// Jobs whose task rows stay loaded after their list closed, oldest first.
    var keptRows: [JobID] = []
    package private(set) var shouldQuit = false
    /// Set when the screen must be drawn in full (Ctrl-L).
    package var needsFullRedraw = false

    var theme: ResolvedTheme
    /// Switches to the next theme; returns it, its name, and a problem to show if it was broken.
    let nextTheme: (() -> (ResolvedTheme, String, String?))?
    let symbols: StatusSymbols

    /// Smallest terminal the screens can be drawn in; below it a "too small" screen shows.
    package static let minimumSize = (width: 40, height: 10)

    /// Opens a task's output stream (of an earlier attempt, when one is given) for reading by
    /// range; nil while not connected.
    let outputSource: ((JobID, TaskIndex, OutputStreamName, Int?) -> (any OutputSource)?)?

    package init(theme: ResolvedTheme, symbols: StatusSymbols, requests: ((LinkRequest) -> Void)?,
                outputSource: ((JobID, TaskIndex, OutputStreamName, Int?) -> (any OutputSource)?)? = nil,
                nextTheme: (() -> (ResolvedTheme, String, String?))? = nil) {
        self.theme = theme
        self.symbols = symbols
        self.outputSource = outputSource
        self.requests = requests
        self.nextTheme = nextTheme
    }

    // MARK: News from the scheduler

    package func receive(_ messages: [LinkMessage], now: Date) {
        let finishedBefore = Set(watched.filter { model.jobs[$0]?.info.finishedAt != nil })
        for message in messages { receive(message, now: now) }
        notifyFinished(except: finishedBefore, now: now)
        let changed = model.takeChangedTasks()
        if var detail, changed.contains(TaskRef(jobID: detail.jobID, taskID: detail.taskID)) {
            requestTask(&detail)
            self.detail = detail
        }
    }

    private func receive(_ message: LinkMessage, now: Date) {
        switch message {
        case .connected(let hello, let list):
            model.connected(hello: hello, jobs: list)
            // Lists open before a reconnect are reloaded from the fresh snapshot.
            if let tasks, route != .jobs { loadTasks(tasks.jobID) }
            keptRows = []
            if let failures {
                for id in failures.jobs where id != tasks?.jobID { loadTasks(id) }
            }
            if allTasks != nil {
                for id in model.jobOrder where id != tasks?.jobID && !(failures?.jobs.contains(id) ?? false) { loadTasks(id) }
            }
            if var detail, route == .detail {
                detail.loading = false
                // The documents read through the old connection.
                detail.documents = [:]
                requestTask(&detail)
                self.detail = detail
            }
        case .events(let events):
            model.apply(events)
        case .disconnected(let reason):
            model.disconnected(reason: reason)
        case .tasksLoaded(let job, let pages, let complete):
            model.installTasks(job, pages: pages, complete: complete)
        case .taskLoaded(let info):
            guard var detail, detail.jobID == info.jobID, detail.taskID == info.id else { return }
            detail.loading = false
            // An answer for the attempt shown before `[` or `]` was pressed: the next is on its way.
            if info.attempt == detail.attempt {
                // A new attempt writes new output: reopen the streams.
                if detail.documentsAttempt != info.attempt ?? info.attempts {
                    detail.documents = [:]
                    detail.documentsAttempt = info.attempt ?? info.attempts
                }
                detail.task = info
            }
            if detail.stale {
                detail.stale = false
                requestTask(&detail)
            }
            self.detail = detail
        case .notice(let text, let isError):
            // A failed load must not leave "loading…" forever.
            if isError, var detail, detail.loading {
                detail.loading = false
                self.detail = detail
            }
            show(text, isError: isError, now: now)
        case .status(let status):
            model.received(status: status)
        case .jobLoaded(let info):
            model.refreshed(job: info)
        }
    }

    func show(_ text: String, isError: Bool, now: Date) {
        notice = Notice(text: text, isError: isError, until: now.addingTimeInterval(isError ? 6 : 3))
    }

    private func loadTasks(_ job: JobID) {
        guard requests != nil else { return }
        model.taskLoadStarted(job)
        requests?(.loadTasks(job))
    }

    func requestTask(_ detail: inout TaskDetailScreen) {
        guard requests != nil else { return }
        if detail.loading {
            detail.stale = true
            return
        }
        detail.loading = true
        requests?(.loadTask(detail.jobID, detail.taskID, attempt: detail.attempt))
    }

    // MARK: Navigation

    /// Shows `next`, remembering where we were for Esc.
    func push(_ next: Route) {
        if route != next { history.append(route) }
        route = next
    }

    func openJob(_ job: JobID) {
        tasks = TasksScreen(jobID: job)
        push(.tasks)
        // Rows kept from an earlier visit are current: events kept them so. Reopening a job
        // of 100,000 tasks costs nothing then.
        if model.jobs[job]?.tasks != nil, !model.isLoadingTasks(job) {
            keptRows.removeAll { $0 == job }
            return
        }
        loadTasks(job)
    }

    /// Keeps the rows of the jobs last left, newest last, within ``keptRowLimit`` rows.
    private func keepRows(of job: JobID) {
        keptRows.removeAll { $0 == job }
        keptRows.append(job)
        var total = keptRows.reduce(0) { $0 + (model.jobs[$1]?.tasks?.count ?? 0) }
        while total > Self.keptRowLimit, let oldest = keptRows.first {
            total -= model.jobs[oldest]?.tasks?.count ?? 0
            model.dropTasks(oldest)
            keptRows.removeFirst()
        }
    }

    /// Rows of closed jobs kept for a quick reopen, at most: ~60 MB.
    static let keptRowLimit = 300_000

    func openTask(_ job: JobID, _ task: TaskIndex) {
        let row = model.jobs[job]?.tasks?[safe: task]
        var screen = TaskDetailScreen(jobID: job, taskID: task, tab: TaskDetailScreen.defaultTab(for: row?.info))
        screen.stateDirectory = stateDirectory
        requestTask(&screen)
        detail = screen
        push(.detail)
    }

    /// The failures of one job, or of every job (`nil`), grouped.
    func openFailures(_ job: JobID?) {
        let scope = job.map { [$0] } ?? model.jobOrder.filter { (model.jobs[$0]?.failedCount ?? 0) > 0 }
        // Fetched afresh: rows kept up to date by events lack the exception's message, which
        // the grouping needs; what is loaded shows meanwhile.
        for id in scope where !model.isLoadingTasks(id) { loadTasks(id) }
        failures = FailuresScreen(scope: job, jobs: scope)
        push(.failures)
    }

    /// Every job's tasks in one list; rows of jobs not loaded yet are fetched.
    func openAllTasks() {
        for id in model.jobOrder where model.jobs[id]?.tasks == nil && !model.isLoadingTasks(id) { loadTasks(id) }
        allTasks = AllTasksScreen()
        push(.allTasks)
    }

    func openJobDetail(_ job: JobID, now: Date) {
        jobDetail = JobDetailScreen(jobID: job, stateDirectory: stateDirectory)
        push(.jobDetail)
        refreshJobDetail(now: now)
    }

    /// How often an open job detail asks for its job again: its teardown and warnings come
    /// in no event.
    static let jobDetailRefresh: TimeInterval = 2

    /// Asks for the open job detail's job, at most every ``jobDetailRefresh`` seconds.
    func refreshJobDetail(now: Date) {
        guard route == .jobDetail, let id = jobDetail?.jobID, let requests else { return }
        if let last = jobDetailFetchedAt, now >= last, now.timeIntervalSince(last) < Self.jobDetailRefresh { return }
        jobDetailFetchedAt = now
        requests(.loadJob(id))
    }

    func back() {
        guard let previous = history.popLast() else { return }
        switch route {
        case .jobs:
            break
        case .tasks:
            if let job = tasks?.jobID, !history.contains(.tasks) {
                if model.isLoadingTasks(job) { model.dropTasks(job) } else { keepRows(of: job) }
                tasks = nil
            }
        case .detail:
            detail = nil
        case .failures:
            // Rows loaded for the view are kept like a list's, for a quick return.
            for job in failures?.jobs ?? [] where job != tasks?.jobID {
                if model.isLoadingTasks(job) { model.dropTasks(job) } else { keepRows(of: job) }
            }
            failures = nil
        case .jobDetail:
            jobDetail = nil
        case .allTasks:
            for job in model.jobOrder where job != tasks?.jobID && !(failures?.jobs.contains(job) ?? false) {
                if model.isLoadingTasks(job) { model.dropTasks(job) } else if model.jobs[job]?.tasks != nil { keepRows(of: job) }
            }
            allTasks = nil
        }
        route = previous
    }

    func quit() { shouldQuit = true }

    /// The stream document on screen, opened if needed.
    func visibleDocument() -> OutputDocument? {
        guard route == .detail, var screen = detail, screen.tab.isStream else { return nil }
        let job = screen.jobID, task = screen.taskID, attempt = screen.attempt
        let running = attempt == nil && (screen.task?.status.isActive ?? model.jobs[job]?.tasks?[safe: task]?.status.isActive ?? false)
        let document = screen.currentDocument(source: { stream in self.outputSource?(job, task, stream, attempt) }, running: running)
        detail = screen
        return document
    }

    /// Work the clock asks for: reading new output of a running task, continuing a long
    /// search. Returns true when the screen changed.
    package func tick(now: Date) -> Bool {
        refreshJobDetail(now: now)
        guard let document = visibleDocument() else { return false }
        var changed = false
        if !document.isComplete || document.errorMessage != nil {
            changed = document.refresh() || changed
        }
        if case .searching = document.searchStatus, let layout = detail?.outputLayout {
            document.continueSearch(in: layout)
            changed = true
        }
        return changed
    }

    /// How often the run loop should call ``tick(now:)``: often while an output tab follows a
    /// running task or a search is under way, else once a second (for the clock columns).
    package var tickInterval: Duration {
        guard route == .detail, let screen = detail, screen.tab.isStream, let document = screen.documents[screen.tab] else {
            return .seconds(1)
        }
        if case .searching = document.searchStatus { return .milliseconds(50) }
        return document.isComplete ? .seconds(1) : .milliseconds(250)
    }

    /// Whether the screen shows something that changes with time alone (a running task's
    /// duration, "5s ago"): only then does the run loop tick once a second.
    package func wantsClockTick() -> Bool {
        model.busySlots > 0 || model.totals[TaskStatus.assigned.rawValue] > 0 || notice != nil
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
