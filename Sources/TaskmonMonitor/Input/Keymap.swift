/// Something the user can ask for with a key.
enum Action: Hashable {
    // Everywhere
    case quit, help, nextTheme, redraw
    // Moving in a list or a text
    case up, down, pageUp, pageDown, halfPageUp, halfPageDown, top, bottom
    case open, back, jobDetail, failures, allTasks
    case search, nextMatch, previousMatch
    case filter, sort, hideFinished
    case mark, markAll, clearMarks
    case cancel, retry, retryFailed
    case notify
    // Task detail
    case nextTab, previousTab, tab(DetailTab)
    case follow, wrap, scrollLeft, scrollRight
    case pager, save, copy
    case previousAttempt, nextAttempt
}

/// One line of a keymap: the keys, what the help and the footer call them, and what each does.
struct Binding {
    /// The keys as the help shows them: `↑↓ j k`.
    let label: String
    /// What they do, for the help.
    let help: String
    /// The footer's short form, or nil to leave the binding out of the footer.
    let footer: String?
    /// Each key and its action (several keys may share a line: ↑ and ↓).
    let keys: [(Key, Action)]
    /// The footer shows low ranks first: what a user looks for, not what every pager has.
    let rank: Int

    init(_ label: String, _ help: String, footer: String? = nil, rank: Int = 50, _ keys: [(Key, Action)]) {
        self.label = label
        self.help = help
        self.footer = footer
        self.keys = keys
        self.rank = rank
    }

    init(_ label: String, _ help: String, footer: String? = nil, rank: Int = 50, _ keys: [Key], _ action: Action) {
        self.init(label, help, footer: footer, rank: rank, keys.map { ($0, action) })
    }
}

/// The keys of one screen, in one table: dispatch looks keys up here, the footer lists the
/// bindings that have a footer text (in table order, as many as fit), and the help overlay
/// prints the table. The three cannot disagree.
struct Keymap {
    /// The help's heading for these keys.
    let title: String
    let bindings: [Binding]

    /// What `key` does here, or nil.
    func action(for key: Key) -> Action? {
        for binding in bindings {
            for (candidate, action) in binding.keys where candidate == key { return action }
        }
        return nil
    }

    /// Whether some key here does `action`.
    func offers(_ action: Action) -> Bool {
        bindings.contains { $0.keys.contains { $0.1 == action } }
    }

    /// The footer's entries: (keys, short text).
    var footer: [(String, String)] {
        bindings.enumerated()
            .sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
            .compactMap { _, binding in binding.footer.map { (Self.footerLabel(binding.label), $0) } }
    }

    /// The footer shows the first spelling of the keys only (`↑↓`, not `↑↓ j k`).
    private static func footerLabel(_ label: String) -> String {
        String(label.split(separator: " ").first ?? Substring(label))
    }
}

extension Keymap {
    static let everywhere = Keymap(title: "Everywhere", bindings: [
        Binding("?", "this help (↑↓ scroll it, any other key closes it)", footer: "help", [.character("?")], .help),
        Binding("q", "quit", footer: "quit", [.character("q")], .quit),
        Binding("T", "next colour theme", [.character("T")], .nextTheme),
        Binding("Ctrl-L", "redraw the screen", [.control("l")], .redraw),
    ])

    private static let moves: [Binding] = [
        Binding("↑↓ j k", "move", footer: "move", rank: 90, [(.up, .up), (.character("k"), .up), (.down, .down), (.character("j"), .down)]),
        Binding("PgUp PgDn", "page up / down (also Ctrl-B Ctrl-F)",
                [(.pageUp, .pageUp), (.control("b"), .pageUp), (.pageDown, .pageDown), (.control("f"), .pageDown)]),
        Binding("Ctrl-U Ctrl-D", "half a page up / down", [(.control("u"), .halfPageUp), (.control("d"), .halfPageDown)]),
        Binding("g G", "first / last (also Home End)",
                [(.character("g"), .top), (.home, .top), (.character("G"), .bottom), (.end, .bottom)]),
    ]

    private static let back = Binding("Esc ← h", "back (Esc first ends a search)", footer: "back", rank: 70,
                                      [.escape, .backspace, .left, .character("h")], .back)
    private static let searchKeys: [Binding] = [
        Binding("/", "search (Enter keeps it, Esc ends it)", footer: "search", [.character("/")], .search),
        Binding("n N", "next / previous match", [(.character("n"), .nextMatch), (.character("N"), .previousMatch)]),
    ]
    private static let markKeys: [Binding] = [
        Binding("Space", "mark / unmark the row", footer: "mark", rank: 60, [.character(" ")], .mark),
        Binding("*", "mark every row shown (after a filter or search)", [.character("*")], .markAll),
        Binding("u", "clear the marks", [.character("u")], .clearMarks),
    ]

    static let jobs = Keymap(title: "Jobs", bindings: moves + [
        Binding("Enter → l", "open the job's tasks", footer: "tasks", rank: 10, [.enter, .right, .character("l")], .open),
        Binding("i", "job detail: description, options, environment, warnings", footer: "info", rank: 55, [.character("i")], .jobDetail),
        Binding("e", "failures of every job, grouped by exception", footer: "failures", [.character("e")], .failures),
        Binding("a", "all tasks of every job", [.character("a")], .allTasks),
    ] + searchKeys + [
        Binding("f", "show jobs by state: all, active, finished, with failures", footer: "filter", [.character("f")], .filter),
        Binding("s", "sort: newest, oldest, name, progress, failures", [.character("s")], .sort),
        Binding("H", "hide / show finished jobs", [.character("H")], .hideFinished),
    ] + markKeys + [
        Binding("c", "cancel the marked jobs, or the selected one (asks first)", footer: "cancel", [.character("c")], .cancel),
        Binding("R", "retry every failed task of the marked or selected jobs (asks first)", footer: "retry failed",
                [.character("R")], .retryFailed),
        Binding("b", "notify (bell, OSC 9/777) when the selected job ends", [.character("b")], .notify),
        Binding("Esc", "end the search", [.escape], .back),
    ])

    static let tasks = Keymap(title: "Tasks", bindings: moves + [
        Binding("Enter → l", "open the task", footer: "detail", rank: 10, [.enter, .right, .character("l")], .open),
        back,
        Binding("i", "job detail", [.character("i")], .jobDetail),
        Binding("e", "this job's failures, grouped by exception", footer: "failures", rank: 55, [.character("e")], .failures),
    ] + searchKeys + [
        Binding("f", "filter by status", footer: "filter", [.character("f")], .filter),
        Binding("s", "sort: id, status, name, started, time", footer: "sort", [.character("s")], .sort),
    ] + markKeys + [
        Binding("c", "cancel the marked tasks, or the selected one (asks first)", footer: "cancel", [.character("c")], .cancel),
        Binding("r", "retry the marked tasks, or the selected one", footer: "retry", [.character("r")], .retry),
        Binding("R", "retry every failed task of the job (asks first)", [.character("R")], .retryFailed),
        Binding("b", "notify when the job ends", [.character("b")], .notify),
    ])

    static let allTasks = Keymap(title: "All tasks", bindings: moves + [
        Binding("Enter → l", "open the task", footer: "detail", rank: 10, [.enter, .right, .character("l")], .open),
        back,
        Binding("/", "filter names by a pattern (a regular expression; Esc clears it)", footer: "name", [.character("/")], .search),
    ] + [
        Binding("f", "filter by status", footer: "filter", [.character("f")], .filter),
        Binding("s", "sort: id, status, name, started, time", footer: "sort", [.character("s")], .sort),
    ] + markKeys + [
        Binding("c", "cancel the marked tasks, or the selected one (asks first)", footer: "cancel", [.character("c")], .cancel),
        Binding("r", "retry the marked tasks, or the selected one", footer: "retry", [.character("r")], .retry),
    ])

    static let failures = Keymap(title: "Failures", bindings: moves + [
        Binding("Enter → l", "the group's tasks", footer: "tasks", [.enter, .right, .character("l")], .open),
        back,
        Binding("r", "retry every task of the group (asks first)", footer: "retry group", [.character("r")], .retry),
        Binding("R", "retry every failed task shown (asks first)", footer: "retry all", [.character("R")], .retryFailed),
    ])

    static let jobDetail = Keymap(title: "Job detail", bindings: [
        Binding("↑↓ j k", "scroll", footer: "scroll", rank: 90, [(.up, .up), (.character("k"), .up), (.down, .down), (.character("j"), .down)]),
        Binding("PgUp PgDn g G", "page, first / last",
                [(.pageUp, .pageUp), (.pageDown, .pageDown), (.character(" "), .pageDown), (.character("g"), .top), (.character("G"), .bottom),
                 (.home, .top), (.end, .bottom)]),
        Binding("Enter", "the job's tasks", footer: "tasks", [.enter], .open),
        back,
        Binding("c", "cancel the job (asks first)", footer: "cancel", [.character("c")], .cancel),
        Binding("R", "retry every failed task (asks first)", footer: "retry failed", [.character("R")], .retryFailed),
    ])

    private static let tabKeys: [Binding] = [
        Binding("Tab ← →", "previous / next tab (also Shift-Tab, h l)", footer: "tabs", rank: 10,
                [(.tab, .nextTab), (.right, .nextTab), (.character("l"), .nextTab),
                 (.backTab, .previousTab), (.left, .previousTab), (.character("h"), .previousTab)]),
        Binding("1–7", "Output, Errors, Properties, Result, Exception, Cancellation, Info",
                DetailTab.allCases.map { (Key.character(Character(String($0.rawValue + 1))), Action.tab($0)) }),
    ]

    private static let textScroll: [Binding] = [
        Binding("↑↓ j k", "scroll", footer: "scroll", rank: 90, [(.up, .up), (.character("k"), .up), (.down, .down), (.character("j"), .down)]),
        Binding("PgUp PgDn", "page (also Space, Ctrl-B Ctrl-F)",
                [(.pageUp, .pageUp), (.control("b"), .pageUp), (.pageDown, .pageDown), (.control("f"), .pageDown), (.character(" "), .pageDown)]),
        Binding("Ctrl-U Ctrl-D", "half a page", [(.control("u"), .halfPageUp), (.control("d"), .halfPageDown)]),
        Binding("g G", "top / end (also Home End)",
                [(.character("g"), .top), (.home, .top), (.character("G"), .bottom), (.end, .bottom)]),
    ]

    private static let taskActions: [Binding] = [
        Binding("c", "cancel this task (asks first)", footer: "cancel", [.character("c")], .cancel),
        Binding("r", "retry this task", footer: "retry", [.character("r")], .retry),
        Binding("[ ]", "earlier / later attempt of a retried task (like kubectl logs --previous)",
                [(.character("["), .previousAttempt), (.character("]"), .nextAttempt)]),
    ]

    private static let exportKeys: [Binding] = [
        Binding("o", "open the tab in $PAGER (less), then come back", footer: "pager", rank: 65, [.character("o")], .pager),
        Binding("S", "save the tab to a file", [.character("S")], .save),
        Binding("y", "copy the top line (or the match) to the clipboard (OSC 52)", [.character("y")], .copy),
    ]

    /// Output and Errors: a pager over a stream.
    static let stream = Keymap(title: "Task detail: Output, Errors", bindings: tabKeys + textScroll + [
        Binding("Esc Backspace", "back (Esc first ends a search)", footer: "back", rank: 70, [.escape, .backspace], .back),
        Binding("F", "follow the output as it grows (scrolling up stops it)", footer: "follow", [.character("F")], .follow),
        Binding("w", "wrap long lines", footer: "wrap", [.character("w")], .wrap),
        Binding("< >", "scroll sideways when not wrapping", [(.character("<"), .scrollLeft), (.character(">"), .scrollRight)]),
    ] + searchKeys + exportKeys + taskActions)

    /// Properties, Result, Exception, Cancellation, Info: text.
    static let text = Keymap(title: "Task detail: other tabs", bindings: tabKeys + textScroll + [
        Binding("Esc Backspace", "back (Esc first ends a search)", footer: "back", rank: 70, [.escape, .backspace], .back),
        Binding("w", "wrap long lines", [.character("w")], .wrap),
    ] + searchKeys + exportKeys + taskActions)
}
