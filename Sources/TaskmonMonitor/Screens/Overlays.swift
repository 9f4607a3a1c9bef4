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
