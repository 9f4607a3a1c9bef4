import TaskmonKit

/// What sits on top of the current screen and takes the keys first.
enum Overlay {
    /// The key list, scrolled to line `top`.
    case help(top: Int)
    case prompt(Prompt)
    case filterMenu(FilterMenu)
}

/// A one-line text input in the footer: a search, or the cancel confirmation's message.
struct Prompt {
    enum Purpose: Equatable {
        case search
        case cancel(JobID, TaskIndex?, what: String)
        case cancelTasks([TaskRef], what: String)
        case cancelJobs([JobID], what: String)
        /// A yes-or-no question; Enter sends the request.
        case confirm(LinkRequest, question: String)
        /// Asks for a file name to save a tab to.
        case save(SaveTarget)
    }

    var purpose: Purpose
    var text = ""

    var label: String {
        switch purpose {
        case .search: "/"
        case .cancel(_, _, let what), .cancelTasks(_, let what), .cancelJobs(_, let what):
            "Cancel \(what)? Message (optional), Enter cancels, Esc keeps it: "
        case .confirm(_, let question): "\(question) Enter: yes, Esc: no "
        case .save(let target): "Save \(target.what) to: "
        }
    }

    /// Edits the text; returns false for keys that end the prompt (Enter, Esc).
    mutating func edit(_ key: Key) -> Bool {
        switch key {
        case .character(let character):
            if text.count < 500 { text.append(character) }
        case .backspace, .delete:
            if !text.isEmpty { text.removeLast() }
        case .control("u"):
            text = ""
        case .control("w"):
            while text.last == " " { text.removeLast() }
            while let last = text.last, last != " " { text.removeLast() }
        case .enter, .escape:
            return false
        default:
            break
        }
        return true
    }
}

/// Choosing which statuses the tasks list shows.
struct FilterMenu {
    var selection = 0
    var chosen: Set<TaskStatus>

    static let rows: [TaskStatus] = TaskStatus.allCases.filter { $0 != .notSubmitted }

    mutating func toggle() {
        let status = Self.rows[selection]
        if chosen.contains(status) { chosen.remove(status) } else { chosen.insert(status) }
    }
}

/// The help text: every key, by screen.
enum HelpText {
    static let sections: [(String, [(String, String)])] = [
        ("Everywhere", [
            ("q", "quit"), ("?", "this help (↑↓ scroll it, other keys close it)"), ("T", "next colour theme"),
            ("Esc Backspace ←", "back"), ("Ctrl-L", "redraw the screen"),
        ]),
        ("Lists (jobs, tasks)", [
            ("↑ ↓ j k", "move"), ("g G Home End", "first / last"), ("PgUp PgDn", "page"),
            ("Ctrl-U Ctrl-D", "half a page"), ("Enter → l", "open"), ("/", "search names; Enter keeps it"),
            ("n N", "next / previous match"), ("f", "filter tasks by status"), ("s", "sort tasks: id, status, name, started, time"),
            ("c", "cancel the job or task (asks first, takes a message)"), ("r", "retry the task (a finished one)"),
        ]),
        ("Task detail", [
            ("Tab Shift-Tab ← →", "previous / next tab"), ("1–7", "Output, Errors, Properties, Result, Exception, Cancellation, Info"),
            ("↑ ↓ PgUp PgDn g G", "scroll"), ("F", "follow the output as it grows (scrolling up stops it)"),
            ("w", "wrap long lines"), ("/ n N", "search the output"), ("c r", "cancel / retry this task"),
        ]),
    ]
}
