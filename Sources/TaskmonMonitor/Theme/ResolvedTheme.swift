import TaskmonKit

/// A theme made concrete for one terminal: a ``Style`` per role, ready to draw.
///
/// Cheap to query (an array lookup), so screens may ask per cell. Resolve again when the
/// theme or the terminal's colour depth changes.
package struct ResolvedTheme: Hashable, Sendable {
    /// The ``Theme/name`` this came from.
    package let name: String
    package let depth: ColorDepth
    /// Indexed by `ThemeRole.denseIndex`.
    private let styles: [Style]

    init(theme: Theme, depth: ColorDepth) {
        name = theme.name
        self.depth = depth
        styles = ThemeRole.allRoles.map { role in
            depth == .monochrome
                ? Style(attributes: MonochromeScheme.attributes(for: role))
                : theme.style(for: role).mapped(to: depth)
        }
    }

    /// How to draw `role`.
    package func style(for role: ThemeRole) -> Style {
        styles[role.denseIndex]
    }

    /// How to draw `role` inside the selected row: the role's foreground and attributes
    /// on the selection's background.
    ///
    /// Where the role's colour would vanish on the selection (the same colour once mapped
    /// down) the selection's foreground is kept. Reverse video toggles rather than adds, so
    /// a status drawn in reverse (FAILED without colour) stays visibly different from the
    /// reversed row around it.
    package func style(for role: ThemeRole, selected: Bool) -> Style {
        let own = style(for: role)
        guard selected, role != .selection else { return own }
        let selection = style(for: .selection)
        var combined = selection
        if own.foreground != .terminalDefault && own.foreground != selection.background {
            combined.foreground = own.foreground
        }
        combined.attributes = own.attributes.symmetricDifference(selection.attributes.intersection(.reverse))
            .union(selection.attributes.subtracting(.reverse))
        return combined
    }

    /// How to draw a status's share of a bar (the jobs screen's status counts): the status's
    /// colour as the background, so a run of spaces shows it, and `bar_empty` for the rest.
    ///
    /// Without colour, or for a status whose colour is the terminal's default, there is no
    /// colour to fill with: the segment keeps the status's own style, and the bar should be
    /// drawn with the status's symbol instead of spaces (``barNeedsSymbols``).
    package func barStyle(for status: TaskStatus) -> Style {
        let own = style(for: .status(status))
        let colour = own.background != .terminalDefault ? own.background : own.foreground
        guard colour != .terminalDefault else { return own }
        return Style(foreground: style(for: .text).foreground, background: colour,
                     attributes: own.attributes.subtracting(.reverse))
    }

    /// True when some status has no colour to fill a bar with, so bars must be drawn with
    /// status symbols to tell the segments apart.
    package var barNeedsSymbols: Bool {
        TaskStatus.allCases.contains { status in
            let own = style(for: .status(status))
            return own.foreground == .terminalDefault && own.background == .terminalDefault
        }
    }
}
