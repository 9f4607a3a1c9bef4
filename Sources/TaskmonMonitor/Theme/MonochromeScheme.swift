import TaskmonKit

/// How every role looks without colour (`NO_COLOR`, vt100), whatever the theme.
///
/// Fixed rather than taken from the theme because a theme's attributes were chosen to go
/// with its colours; without them statuses must still be told apart. Each status also has
/// its own symbol (``StatusSymbols``), so the attribute only has to say which family:
///
/// | attribute | statuses |
/// |---|---|
/// | dim | NOT_SUBMITTED, SUBMITTED (waiting) |
/// | none | ASSIGNED, COMPLETED |
/// | bold | RUNNING |
/// | bold + underline | INTERRUPTED (will be retried) |
/// | underline | CANCELING, CANCELED |
/// | reverse | ENVIRONMENT_ERROR, TIMED_OUT |
/// | bold + reverse | FAILED |
///
/// UI: selection, header, footer reverse; active tab reverse + bold; column titles and
/// search matches bold + underline; muted and bar_empty dim; errors, warnings, prompts,
/// footer keys bold. vt100 has no dim: waiting statuses then rely on their symbols.
package enum MonochromeScheme {
    /// The attributes `role` gets on a terminal without colour.
    package static func attributes(for role: ThemeRole) -> TextAttributes {
        switch role {
        case .status(let status): attributes(for: status)
        case .text, .tabInactive: []
        case .muted, .barEmpty: .dim
        case .header, .footer, .selection: .reverse
        case .footerKey, .tabActive: [.reverse, .bold]
        case .columnTitle, .searchMatch: [.bold, .underline]
        case .error, .warning, .prompt: .bold
        }
    }

    private static func attributes(for status: TaskStatus) -> TextAttributes {
        switch status {
        case .notSubmitted, .submitted: .dim
        case .assigned, .completed: []
        case .running: .bold
        case .interrupted: [.bold, .underline]
        case .canceling, .canceled: .underline
        case .environmentError, .timedOut: .reverse
        case .failed: [.bold, .reverse]
        }
    }
}
