import TaskmonKit

/// Text attributes a cell can carry. On a monochrome terminal these alone tell statuses apart.
package struct TextAttributes: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let bold = TextAttributes(rawValue: 1 << 0)
    package static let dim = TextAttributes(rawValue: 1 << 1)
    package static let reverse = TextAttributes(rawValue: 1 << 2)
    package static let underline = TextAttributes(rawValue: 1 << 3)
    package static let italic = TextAttributes(rawValue: 1 << 4)
}

/// How one cell looks, resolved for the terminal at hand: what `Terminal` draws.
package struct Style: Hashable, Sendable {
    package var foreground: TerminalColor
    package var background: TerminalColor
    package var attributes: TextAttributes

    package init(foreground: TerminalColor = .terminalDefault, background: TerminalColor = .terminalDefault,
                attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// The terminal's default look.
    package static let plain = Style()

    /// This style with `extra` attributes added.
    package func adding(_ extra: TextAttributes) -> Style {
        var copy = self
        copy.attributes.formUnion(extra)
        return copy
    }
}

/// What a piece of the screen is, so a theme can give it a look. Screens draw roles;
/// the theme turns roles into `Style`s.
package enum ThemeRole: Hashable, Sendable {
    /// A task status: its colour in lists, the status bar and the header counts.
    case status(TaskStatus)
    /// Ordinary text.
    case text
    /// Less important text: ages, ids, hints.
    case muted
    /// The header line(s) at the top.
    case header
    /// The footer line with the keys.
    case footer
    /// A key name inside the footer or help (`q`, `Enter`).
    case footerKey
    /// Column titles of a list.
    case columnTitle
    /// The selected row.
    case selection
    /// The active tab of the task detail.
    case tabActive
    /// The other tabs.
    case tabInactive
    /// A search match in a list or in output.
    case searchMatch
    /// Error text (a failed command, a broken theme).
    case error
    /// Warnings (job warnings, "reconnecting…").
    case warning
    /// Prompts and dialogs (cancel confirmation, search input).
    case prompt
    /// The unfilled part of a progress or status bar.
    case barEmpty
}
