import Foundation
import TaskmonKit

extension MonitorController {
    /// Handles one key press.
    package func handle(_ key: Key, now: Date) {
        if let overlay {
            handleOverlay(overlay, key, now: now)
            return
        }
        switch key {
        case .character("q"): quit(); return
        case .character("?"): overlay = .help(top: 0); return
        case .character("T"): switchTheme(now: now); return
        case .control("l"): needsFullRedraw = true; return
        default: break
        }
        switch route {
        case .jobs: handleJobs(key, now: now)
        case .tasks: handleTasks(key, now: now)
        case .detail: handleDetail(key, now: now)
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

    /// Keys every list shares; returns the row delta or a jump, or nil for other keys.
    private func listMotion(_ key: Key, page: Int) -> ListMotion? {
        switch key {
        case .up, .character("k"): .by(-1)
        case .down, .character("j"): .by(1)
        case .pageUp, .control("b"): .by(-max(1, page - 1))
        case .pageDown, .control("f"), .character(" "): .by(max(1, page - 1))
        case .control("u"): .by(-max(1, page / 2))
        case .control("d"): .by(max(1, page / 2))
        case .home, .character("g"): .to(0)
        case .end, .character("G"): .to(Int.max)
        default: nil
        }
    }

    enum ListMotion { case by(Int), to(Int) }

    private func handleJobs(_ key: Key, now: Date) {
        jobs.settleSelection(model)
        if let motion = listMotion(key, page: jobs.pageHeight - 1) {
            switch motion {
            case .by(let delta): jobs.move(by: delta, model: model)
            case .to(let index): jobs.select(index: index, model: model)
            }
            return
        }
        switch key {
        case .enter, .right, .character("l"):
            if let job = jobs.selectedJob { openJob(job) }
        case .character("/"):
            overlay = .prompt(Prompt(purpose: .search))
        case .character("n"), .character("N"):
            if jobs.search == nil { show("no search: press / first", isError: false, now: now) }
            else if !jobs.findNext(model, backwards: key == .character("N")) { show("no job matches /\(jobs.search!.query)", isError: true, now: now) }
        case .character("c"):
            if let job = jobs.selectedJob, let record = model.jobs[job] {
                overlay = .prompt(Prompt(purpose: .cancel(job, nil, what: "job \(job) (\(record.info.name))")))
            }
        case .character("r"):
            show("r retries a task: open the job (Enter) and pick one", isError: false, now: now)
        case .character("f"), .character("s"):
            show("open a job (Enter) to filter or sort its tasks", isError: false, now: now)
        case .escape:
            if jobs.search != nil { jobs.search = nil }
        default:
            break
        }
    }

    private func handleTasks(_ key: Key, now: Date) {
        guard var screen = tasks else { return }
        screen.settleSelection(model, now: now)
        var keep = true
        defer { if keep { tasks = screen } }
        if let motion = listMotion(key, page: screen.pageHeight - 1) {
            switch motion {
            case .by(let delta): screen.move(by: delta)
            case .to(let index): screen.select(index: index)
            }
            return
        }
        switch key {
        case .enter, .right, .character("l"):
            if let task = screen.selectedTask {
                tasks = screen
                openTask(screen.jobID, task)
            }
        case .escape, .backspace, .left, .character("h"):
            if key == .escape, screen.search != nil {
                screen.search = nil
            } else {
                keep = false
                back()
            }
        case .character("/"):
            overlay = .prompt(Prompt(purpose: .search))
        case .character("n"), .character("N"):
            if screen.search == nil {
                show("no search: press / first", isError: false, now: now)
            } else if let job = model.jobs[screen.jobID], !screen.findNext(in: job, backwards: key == .character("N")) {
                show("no task matches /\(screen.search!.query)", isError: true, now: now)
            }
        case .character("f"):
            overlay = .filterMenu(FilterMenu(chosen: screen.ordering.filter))
        case .character("s"):
            screen.ordering.sort = screen.ordering.sort.next
            show("sorted by \(screen.ordering.sort.rawValue)", isError: false, now: now)
        case .character("c"):
            if let task = screen.selectedTask {
                let name = model.jobs[screen.jobID]?.tasks?[safe: task]?.name ?? ""
                overlay = .prompt(Prompt(purpose: .cancel(screen.jobID, task, what: "task \(screen.jobID)/\(task) (\(name))")))
            }
        case .character("r"):
            if let task = screen.selectedTask { requests?(.retry(screen.jobID, task)) }
        default:
            break
        }
    }

    private func handleDetail(_ key: Key, now: Date) {
        guard var screen = detail else { return }
        defer { if route == .detail { detail = screen } }
        switch key {
        case .tab, .right, .character("l"):
            screen.tab = screen.tab.moved(by: 1)
            return
        case .backTab, .left, .character("h"):
            screen.tab = screen.tab.moved(by: -1)
            return
        case .character(let c) where ("1"..."7").contains(c):
            screen.tab = DetailTab(rawValue: Int(String(c))! - 1)!
            return
        case .escape where screen.tab.isStream && (screen.documents[screen.tab].map { $0.searchStatus != .none || !$0.searchQuery.isEmpty } ?? false):
            // Esc first ends the search (a running one stops), as in less; the next Esc leaves.
            screen.documents[screen.tab]?.clearSearch()
            return
        case .escape, .backspace:
            detail = screen
            back()
            return
        case .character("w"):
            screen.wrap.toggle()
            show(screen.wrap ? "wrapping long lines" : "not wrapping: long lines are cut", isError: false, now: now)
            return
        case .character("c"):
            overlay = .prompt(Prompt(purpose: .cancel(screen.jobID, screen.taskID, what: "task \(screen.jobID)/\(screen.taskID) (\(screen.task?.name ?? ""))")))
            return
        case .character("r"):
            requests?(.retry(screen.jobID, screen.taskID))
            return
        default:
            break
        }
        if screen.tab.isStream {
            detail = screen
            handleOutputKey(key, now: now)
            if let updated = detail { screen = updated }
            return
        }
        if let motion = listMotion(key, page: screen.bodyHeight) {
            switch motion {
            case .by(let delta): screen.scrollText(by: delta, now: now)
            case .to(let index): screen.scrollText(by: index == 0 ? Int.min / 2 : Int.max / 2, now: now)
            }
        }
    }

    private func handleOutputKey(_ key: Key, now: Date) {
        guard let document = visibleDocument(), let layout = detail?.outputLayout else { return }
        let motion: OutputMotion? = switch key {
        case .up, .character("k"): .up(1)
        case .down, .character("j"): .down(1)
        case .pageUp, .control("b"): .pageUp
        case .pageDown, .control("f"), .character(" "): .pageDown
        case .control("u"): .halfPageUp
        case .control("d"): .halfPageDown
        case .home, .character("g"): .top
        case .end, .character("G"): .end
        default: nil
        }
        if let motion {
            document.scroll(motion, in: layout)
            return
        }
        switch key {
        case .character("F"):
            document.toggleFollowing()
            if document.isFollowing { document.scroll(.end, in: layout) }
            show(document.isFollowing ? "following the output" : "not following", isError: false, now: now)
        case .character("/"):
            overlay = .prompt(Prompt(purpose: .search))
        case .character("n"):
            reportSearch(document.searchQuery.isEmpty ? nil : document.searchNext(in: layout), document, now: now)
        case .character("N"):
            reportSearch(document.searchQuery.isEmpty ? nil : document.searchPrevious(in: layout), document, now: now)
        case .escape:
            if document.searchStatus != .none { document.clearSearch() } else { back() }
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
            switch (prompt.purpose, key) {
            case (.search, .enter):
                applySearch(prompt.text, jump: true)
                if !prompt.text.isEmpty, !searchFound() { show("no match for /\(prompt.text)", isError: true, now: now) }
            case (.search, _):
                applySearch("", jump: false)
            case (.cancel(let job, let task, _), .enter):
                let message = prompt.text.trimmingCharacters(in: .whitespaces)
                requests?(.cancel(job, task, message: message.isEmpty ? nil : message))
            case (.cancel, _):
                show("not canceled", isError: false, now: now)
            }
        case .filterMenu(var menu):
            switch key {
            case .up, .character("k"): menu.selection = max(0, menu.selection - 1)
            case .down, .character("j"): menu.selection = min(FilterMenu.rows.count - 1, menu.selection + 1)
            case .character(" "), .character("x"): menu.toggle()
            case .character("a"): menu.chosen = []
            case .enter, .character("f"):
                tasks?.ordering.filter = menu.chosen
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
            guard jump, let document = visibleDocument(), let layout = detail?.outputLayout else { return }
            if query.isEmpty {
                document.clearSearch()
            } else {
                reportSearch(document.search(query, in: layout), document, now: Date())
            }
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
        case .detail:
            return true
        }
    }
}
