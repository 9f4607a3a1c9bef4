import Foundation
import TaskmonKit

extension MonitorController {
    /// The keys of what is on screen: dispatch, footer and help all read this one table.
    var keymap: Keymap {
        switch route {
        case .jobs: .jobs
        case .tasks: .tasks
        case .failures: .failures
        case .jobDetail: .jobDetail
        case .allTasks: .allTasks
        case .detail: (detail?.tab.isStream ?? true) ? .stream : .text
        }
    }

    /// Handles one key press.
    package func handle(_ key: Key, now: Date) {
        if let overlay {
            handleOverlay(overlay, key, now: now)
            return
        }
        guard let action = keymap.action(for: key) ?? Keymap.everywhere.action(for: key) else { return }
        switch action {
        case .quit: quit()
        case .help: overlay = .help(top: 0)
        case .nextTheme: switchTheme(now: now)
        case .redraw: needsFullRedraw = true
        default:
            switch route {
            case .jobs: jobsAction(action, now: now)
            case .tasks: tasksAction(action, now: now)
            case .detail: detailAction(action, now: now)
            case .failures: failuresAction(action, now: now)
            case .jobDetail: jobDetailAction(action, now: now)
            case .allTasks: allTasksAction(action, now: now)
            }
        }
    }

    private func switchTheme(now: Date) {
        guard let nextTheme else { return }
        let (resolved, name, problem) = nextTheme()
        theme = resolved
        if let problem {
            show(problem, isError: true, now: now)
        } else {
            show("theme: \(name)", isError: false, now: now)
        }
    }

    /// How far a motion moves in a list `page` rows high, or nil for other actions.
    func listMotion(_ action: Action, page: Int) -> ListCursor.Pending? {
        switch action {
        case .up: .by(-1)
        case .down: .by(1)
        case .pageUp: .by(-max(1, page - 1))
        case .pageDown: .by(max(1, page - 1))
        case .halfPageUp: .by(-max(1, page / 2))
        case .halfPageDown: .by(max(1, page / 2))
        case .top: .to(0)
        case .bottom: .to(Int.max)
        default: nil
        }
    }

    // MARK: Jobs

    private func jobsAction(_ action: Action, now: Date) {
        jobs.settleSelection(model)
        if let motion = listMotion(action, page: jobs.pageHeight - 1) {
            switch motion {
            case .by(let delta): jobs.move(by: delta, model: model)
            case .to(let index): jobs.select(index: index, model: model)
            }
            return
        }
        let selected = jobs.selectedJob
        switch action {
        case .open:
            if let selected { openJob(selected) }
        case .jobDetail:
            if let selected { openJobDetail(selected, now: now) }
        case .failures:
            openFailures(nil)
        case .allTasks:
            openAllTasks()
        case .search:
            overlay = .prompt(Prompt(purpose: .search))
        case .nextMatch, .previousMatch:
            if jobs.search == nil { show("no search: press / first", isError: false, now: now) }
            else if !jobs.findNext(model, backwards: action == .previousMatch) { show("no job matches /\(jobs.search!.query)", isError: true, now: now) }
        case .filter:
            jobs.filter = jobs.filter.next
            show("jobs shown: \(jobs.filter.title)", isError: false, now: now)
        case .sort:
            jobs.sort = jobs.sort.next
            show("jobs sorted by \(jobs.sort.title)", isError: false, now: now)
        case .hideFinished:
            jobs.hidesFinished.toggle()
            show(jobs.hidesFinished ? "finished jobs hidden (H shows them)" : "finished jobs shown", isError: false, now: now)
        case .mark:
            if let selected {
                if jobs.marks.remove(selected) == nil { jobs.marks.insert(selected) }
                jobs.move(by: 1, model: model)
            }
        case .markAll:
            jobs.marks.formUnion(jobs.order(model))
            show("\(jobs.marks.count) jobs marked", isError: false, now: now)
        case .clearMarks:
            jobs.marks = []
        case .cancel:
            let targets = jobs.marks.isEmpty ? selected.map { [$0] } ?? [] : jobs.order(model).filter(jobs.marks.contains)
            guard let first = targets.first else { return }
            let what = targets.count == 1 ? "job \(first) (\(model.jobs[first]?.info.name ?? ""))" : "\(targets.count) marked jobs"
            overlay = .prompt(Prompt(purpose: .cancelJobs(targets, what: what)))
        case .retryFailed:
            let targets = jobs.marks.isEmpty ? selected.map { [$0] } ?? [] : jobs.order(model).filter(jobs.marks.contains)
            confirmRetryFailed(of: targets, now: now)
        case .notify:
            guard let selected else { return }
            if watched.remove(selected) == nil {
                watched.insert(selected)
                show("you will be notified when job \(selected) ends", isError: false, now: now)
            } else {
                show("no notification for job \(selected)", isError: false, now: now)
            }
        case .back:
            if jobs.search != nil { jobs.search = nil }
        default:
            break
        }
    }

    /// Asks before retrying every failed task of `targets` (the count comes from the jobs'
    /// status counts; the task ids are looked up when it runs).
    func confirmRetryFailed(of targets: [JobID], now: Date) {
        let count = targets.reduce(0) { $0 + (model.jobs[$1]?.failedCount ?? 0) }
        guard count > 0 else {
            show(targets.count == 1 ? "job \(targets[0]) has no failed task" : "no failed task in the marked jobs", isError: false, now: now)
            return
        }
        let what = targets.count == 1 ? "job \(targets[0])" : "\(targets.count) jobs"
        overlay = .prompt(Prompt(purpose: .confirm(.retryFailed(targets), question: "Retry \(count) failed task\(count == 1 ? "" : "s") of \(what)?")))
    }

    // MARK: Tasks

    private func tasksAction(_ action: Action, now: Date) {
        guard var screen = tasks else { return }
        screen.settleSelection(model, now: now)
        var keep = true
        defer { if keep, route == .tasks || history.contains(.tasks) { tasks = screen } }
        if let motion = listMotion(action, page: screen.pageHeight - 1) {
            switch motion {
            case .by(let delta): screen.move(by: delta)
            case .to(let index): screen.select(index: index)
            }
            return
        }
        let job = screen.jobID
        switch action {
        case .open:
            if let task = screen.selectedTask {
                tasks = screen
                openTask(job, task)
            }
        case .back:
            if screen.search != nil {
                screen.search = nil
            } else {
                keep = false
                tasks = screen
                back()
            }
        case .jobDetail:
            tasks = screen
            openJobDetail(job, now: now)
        case .failures:
            tasks = screen
            openFailures(job)
        case .search:
            overlay = .prompt(Prompt(purpose: .search))
        case .nextMatch, .previousMatch:
            if screen.search == nil {
                show("no search: press / first", isError: false, now: now)
            } else if let record = model.jobs[job], !screen.findNext(in: record, backwards: action == .previousMatch) {
                show("no task matches /\(screen.search!.query)", isError: true, now: now)
            }
        case .filter:
            overlay = .filterMenu(FilterMenu(chosen: screen.ordering.filter))
        case .sort:
            screen.ordering.sort = screen.ordering.sort.next
            show("sorted by \(screen.ordering.sort.rawValue)", isError: false, now: now)
        case .mark:
            if let task = screen.selectedTask {
                if screen.marks.remove(task) == nil { screen.marks.insert(task) }
                screen.move(by: 1)
            }
        case .markAll:
            screen.markAllShown(model.jobs[job])
            show("\(screen.marks.count) tasks marked", isError: false, now: now)
        case .clearMarks:
            screen.marks = []
        case .cancel:
            let targets = screen.targets
            guard let first = targets.first else { return }
            if targets.count == 1 {
                let name = model.jobs[job]?.tasks?[safe: first]?.name ?? ""
                overlay = .prompt(Prompt(purpose: .cancel(job, first, what: "task \(job)/\(first) (\(name))")))
            } else {
                overlay = .prompt(Prompt(purpose: .cancelTasks(targets.map { TaskRef(jobID: job, taskID: $0) },
                                                               what: "\(targets.count) marked tasks of job \(job)")))
            }
        case .retry:
            let targets = screen.targets
            if targets.count == 1 {
                requests?(.retry(job, targets[0]))
            } else if !targets.isEmpty {
                let refs = targets.map { TaskRef(jobID: job, taskID: $0) }
                overlay = .prompt(Prompt(purpose: .confirm(.retryTasks(refs), question: "Retry \(refs.count) marked tasks of job \(job)?")))
            }
        case .retryFailed:
            confirmRetryFailed(of: [job], now: now)
        case .notify:
            if watched.remove(job) == nil {
                watched.insert(job)
                show("you will be notified when job \(job) ends", isError: false, now: now)
            } else {
                show("no notification for job \(job)", isError: false, now: now)
            }
        default:
            break
        }
    }

    // MARK: All tasks

    private func allTasksAction(_ action: Action, now: Date) {
        guard var screen = allTasks else { return }
        defer { if route == .allTasks { allTasks = screen } }
        screen.settle(model, now: now)
        if let motion = listMotion(action, page: screen.pageHeight - 1) {
            switch motion {
            case .by(let delta): screen.move(by: delta)
            case .to(let index): screen.select(index: index)
            }
            return
        }
        switch action {
        case .open:
            if let ref = screen.selected {
                allTasks = screen
                openTask(ref.jobID, ref.taskID)
            }
        case .back:
            if screen.pattern != nil {
                _ = screen.setPattern("")
            } else {
                allTasks = screen
                back()
            }
        case .search:
            overlay = .prompt(Prompt(purpose: .search, text: screen.pattern ?? ""))
        case .filter:
            overlay = .filterMenu(FilterMenu(chosen: screen.filter))
        case .sort:
            screen.sort = screen.sort.next
            show("sorted by \(screen.sort.rawValue)", isError: false, now: now)
        case .mark:
            if let ref = screen.selected {
                if screen.marks.remove(ref) == nil { screen.marks.insert(ref) }
                screen.move(by: 1)
            }
        case .markAll:
            screen.marks.formUnion(screen.order)
            show("\(screen.marks.count) tasks marked", isError: false, now: now)
        case .clearMarks:
            screen.marks = []
        case .cancel:
            let targets = screen.targets
            guard let first = targets.first else { return }
            if targets.count == 1 {
                overlay = .prompt(Prompt(purpose: .cancel(first.jobID, first.taskID, what: "task \(first.jobID)/\(first.taskID)")))
            } else {
                overlay = .prompt(Prompt(purpose: .cancelTasks(targets, what: "\(targets.count) marked tasks")))
            }
        case .retry:
            let targets = screen.targets
            if targets.count == 1 {
                requests?(.retry(targets[0].jobID, targets[0].taskID))
            } else if !targets.isEmpty {
                overlay = .prompt(Prompt(purpose: .confirm(.retryTasks(targets), question: "Retry \(targets.count) marked tasks?")))
            }
        default:
            break
        }
    }

    // MARK: Failures

    private func failuresAction(_ action: Action, now: Date) {
        guard var screen = failures else { return }
        defer { if route == .failures { failures = screen } }
        screen.refresh(model)
        if let motion = listMotion(action, page: screen.pageHeight - 1) {
            switch motion {
            case .by(let delta): screen.move(by: delta)
            case .to(let index): screen.select(index: index)
            }
            return
        }
        switch action {
        case .open:
            switch screen.selectedRow {
            case .group(let index)?: screen.toggle(index)
            case .task(let ref)?:
                failures = screen
                openTask(ref.jobID, ref.taskID)
            case nil: break
            }
        case .back:
            failures = screen
            back()
        case .retry:
            guard let group = screen.selectedGroup else { return }
            overlay = .prompt(Prompt(purpose: .confirm(.retryTasks(group.tasks),
                                                       question: "Retry the \(group.tasks.count) task\(group.tasks.count == 1 ? "" : "s") of “\(group.title)”?")))
        case .retryFailed:
            let all = screen.groups.flatMap(\.tasks)
            guard !all.isEmpty else { return }
            overlay = .prompt(Prompt(purpose: .confirm(.retryTasks(all), question: "Retry all \(all.count) failed tasks shown?")))
        default:
            break
        }
    }

    // MARK: Job detail

    private func jobDetailAction(_ action: Action, now: Date) {
        guard var screen = jobDetail else { return }
        defer { if route == .jobDetail { jobDetail = screen } }
        let job = screen.jobID
        if let motion = listMotion(action, page: screen.bodyHeight) {
            switch motion {
            case .by(let delta): screen.top = max(0, screen.top + delta)
            case .to(let index): screen.top = index == 0 ? 0 : Int.max / 2
            }
            return
        }
        switch action {
        case .open:
            if history.last == .tasks, tasks?.jobID == job {
                back()
            } else {
                jobDetail = screen
                openJob(job)
            }
        case .back:
            jobDetail = screen
            back()
        case .cancel:
            overlay = .prompt(Prompt(purpose: .cancel(job, nil, what: "job \(job) (\(model.jobs[job]?.info.name ?? ""))")))
        case .retryFailed:
            confirmRetryFailed(of: [job], now: now)
        default:
            break
        }
    }

    // MARK: Task detail

    private func detailAction(_ action: Action, now: Date) {
        guard var screen = detail else { return }
        defer { if route == .detail { detail = screen } }
        switch action {
        case .nextTab:
            screen.tab = screen.tab.moved(by: 1)
            return
        case .previousTab:
            screen.tab = screen.tab.moved(by: -1)
            return
        case .tab(let tab):
            screen.tab = tab
            return
        case .back:
            // Esc first ends the search (a running one stops), as in less; the next Esc leaves.
            if screen.tab.isStream, let document = screen.documents[screen.tab],
               document.searchStatus != .none || !document.searchQuery.isEmpty {
                document.clearSearch()
                return
            }
            if !screen.tab.isStream, screen.textSearch != nil {
                screen.textSearch = nil
                return
            }
            detail = screen
            back()
            return
        case .wrap:
            screen.wrap.toggle()
            screen.horizontalOffset = 0
            show(screen.wrap ? "wrapping long lines" : "not wrapping: long lines are cut (< > scroll sideways)", isError: false, now: now)
            return
        case .scrollLeft, .scrollRight:
            guard !screen.wrap else {
                show("wrapping: nothing to scroll sideways (w turns wrapping off)", isError: false, now: now)
                return
            }
            let step = max(8, screen.bodyWidth / 2)
            screen.horizontalOffset = max(0, screen.horizontalOffset + (action == .scrollLeft ? -step : step))
            return
        case .cancel:
            overlay = .prompt(Prompt(purpose: .cancel(screen.jobID, screen.taskID, what: "task \(screen.jobID)/\(screen.taskID) (\(screen.task?.name ?? ""))")))
            return
        case .retry:
            requests?(.retry(screen.jobID, screen.taskID))
            return
        case .previousAttempt, .nextAttempt:
            if screen.switchAttempt(by: action == .previousAttempt ? -1 : 1) {
                requestTask(&screen)
            } else if action == .previousAttempt {
                show(screen.task?.attemptHistory.isEmpty ?? true ? "no earlier attempt kept" : "this is the oldest attempt kept", isError: false, now: now)
            } else {
                show("this is the current attempt", isError: false, now: now)
            }
            return
        case .pager, .save, .copy:
            detail = screen
            export(action, now: now)
            if let updated = detail { screen = updated }
            return
        default:
            break
        }
        if screen.tab.isStream {
            detail = screen
            streamAction(action, now: now)
            if let updated = detail { screen = updated }
            return
        }
        switch action {
        case .search:
            overlay = .prompt(Prompt(purpose: .search))
        case .nextMatch, .previousMatch:
            if screen.textSearch == nil {
                show("no search: press / first", isError: false, now: now)
            } else if !screen.findText(backwards: action == .previousMatch, now: now) {
                show("not found: \(screen.textSearch!)", isError: true, now: now)
            }
        default:
            if let motion = listMotion(action, page: screen.bodyHeight) {
                switch motion {
                case .by(let delta): screen.scrollText(by: delta, now: now)
                case .to(let index): screen.scrollText(by: index == 0 ? Int.min / 2 : Int.max / 2, now: now)
                }
            }
        }
    }

    private func streamAction(_ action: Action, now: Date) {
        guard let document = visibleDocument(), let layout = detail?.outputLayout else { return }
        let motion: OutputMotion? = switch action {
        case .up: .up(1)
        case .down: .down(1)
        case .pageUp: .pageUp
        case .pageDown: .pageDown
        case .halfPageUp: .halfPageUp
        case .halfPageDown: .halfPageDown
        case .top: .top
        case .bottom: .end
        default: nil
        }
        if let motion {
            document.scroll(motion, in: layout)
            return
        }
        switch action {
        case .follow:
            document.toggleFollowing()
            if document.isFollowing { document.scroll(.end, in: layout) }
            show(document.isFollowing ? "following the output" : "not following", isError: false, now: now)
        case .search:
            overlay = .prompt(Prompt(purpose: .search))
        case .nextMatch:
            reportSearch(document.searchQuery.isEmpty ? nil : document.searchNext(in: layout), document, now: now)
        case .previousMatch:
            reportSearch(document.searchQuery.isEmpty ? nil : document.searchPrevious(in: layout), document, now: now)
        default:
            break
        }
    }

    private func reportSearch(_ status: OutputSearchStatus?, _ document: OutputDocument, now: Date) {
        guard let status else {
            show("no search: press / first", isError: false, now: now)
            return
        }
        switch status {
        case .notFound, .failed: show(status.text(query: document.searchQuery), isError: true, now: now)
        case .found(wrapped: true): show("search wrapped around", isError: false, now: now)
        default: break
        }
    }

    // MARK: Overlays

    private func handleOverlay(_ current: Overlay, _ key: Key, now: Date) {
        switch current {
        case .help(let top):
            // Arrows and paging scroll a help taller than the terminal; any other key closes it.
            switch key {
            case .down, .character("j"): overlay = .help(top: top + 1)
            case .up, .character("k"): overlay = .help(top: max(0, top - 1))
            case .pageDown, .character(" "): overlay = .help(top: top + 10)
            case .pageUp: overlay = .help(top: max(0, top - 10))
            case .character("q"): overlay = nil; quit()
            default: overlay = nil
            }
        case .prompt(var prompt):
            let editing = prompt.edit(key)
            if editing {
                overlay = .prompt(prompt)
                if prompt.purpose == .search { applySearch(prompt.text, jump: false) }
                return
            }
            overlay = nil
            let message = prompt.text.trimmingCharacters(in: .whitespaces)
            switch (prompt.purpose, key) {
            case (.search, .enter):
                applySearch(prompt.text, jump: true)
                if !prompt.text.isEmpty, !searchFound() { show("no match for /\(prompt.text)", isError: true, now: now) }
            case (.search, _):
                applySearch("", jump: false)
            case (.cancel(let job, let task, _), .enter):
                requests?(.cancel(job, task, message: message.isEmpty ? nil : message))
            case (.cancelTasks(let refs, _), .enter):
                requests?(.cancelTasks(refs, message: message.isEmpty ? nil : message))
                clearMarks()
            case (.cancelJobs(let ids, _), .enter):
                requests?(.cancelJobs(ids, message: message.isEmpty ? nil : message))
                clearMarks()
            case (.confirm(let request, _), .enter):
                requests?(request)
                clearMarks()
            case (.save(let what), .enter):
                save(what, to: prompt.text, now: now)
            case (.cancel, _), (.cancelTasks, _), (.cancelJobs, _):
                show("not canceled", isError: false, now: now)
            case (.confirm, _), (.save, _):
                show("nothing done", isError: false, now: now)
            }
        case .filterMenu(var menu):
            switch key {
            case .up, .character("k"): menu.selection = max(0, menu.selection - 1)
            case .down, .character("j"): menu.selection = min(FilterMenu.rows.count - 1, menu.selection + 1)
            case .character(" "), .character("x"): menu.toggle()
            case .character("a"): menu.chosen = []
            case .enter, .character("f"):
                if route == .allTasks { allTasks?.filter = menu.chosen } else { tasks?.ordering.filter = menu.chosen }
                overlay = nil
                return
            case .escape, .character("q"):
                overlay = nil
                return
            default: break
            }
            overlay = .filterMenu(menu)
        }
    }

    /// Marks are used up by the action they were made for.
    private func clearMarks() {
        jobs.marks = []
        tasks?.marks = []
        allTasks?.marks = []
    }

    /// Sets the search of the current list; `jump` moves to the first match from the selection.
    private func applySearch(_ query: String, jump: Bool) {
        let search = query.isEmpty ? nil : ListSearch(query: query)
        switch route {
        case .jobs:
            jobs.search = search
            if jump, search != nil { _ = jobs.findNext(model, backwards: false) }
        case .tasks:
            tasks?.search = search
            if jump, search != nil, let job = tasks.flatMap({ model.jobs[$0.jobID] }) { _ = tasks?.findNext(in: job, backwards: false) }
        case .detail:
            guard jump else { return }
            if detail?.tab.isStream == false {
                detail?.textSearch = query.isEmpty ? nil : query
                if !query.isEmpty, detail?.findText(backwards: false, now: Date(), fromTop: true) == false {
                    show("not found: \(query)", isError: true, now: Date())
                }
                return
            }
            guard let document = visibleDocument(), let layout = detail?.outputLayout else { return }
            if query.isEmpty {
                document.clearSearch()
            } else {
                reportSearch(document.search(query, in: layout), document, now: Date())
            }
        case .allTasks:
            // A name pattern filters the list as it is typed; a broken one says so on Enter.
            if allTasks?.setPattern(query) == false, jump { show("not a valid pattern: \(query)", isError: true, now: Date()) }
        case .failures, .jobDetail:
            break
        }
    }

    private func searchFound() -> Bool {
        switch route {
        case .jobs:
            guard let search = jobs.search, let id = jobs.selectedJob, let job = model.jobs[id] else { return false }
            return search.matches(job.info.name) || search.query == String(id)
        case .tasks:
            guard let screen = tasks, let search = screen.search, let id = screen.selectedTask,
                  let row = model.jobs[screen.jobID]?.tasks?[safe: id] else { return false }
            return search.matches(row.name) || search.query == String(id)
        case .detail, .failures, .jobDetail, .allTasks:
            return true
        }
    }
}
