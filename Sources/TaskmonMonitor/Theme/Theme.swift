import TaskmonKit

/// Where a theme was read from.
package enum ThemeOrigin: Hashable, Sendable {
    /// Compiled into the binary from `Themes/NAME.toml`.
    case builtin
    /// A file: a user theme, or one given by path.
    case file(path: String)
}

/// A complete theme: a ``ThemeStyle`` for every ``ThemeRole``, inheritance already applied.
///
/// ## Theme files
///
/// A theme is a TOML file `NAME.toml`; `NAME` is what `--theme`, `TASKMON_THEME`, the config
/// file and the `T` key use.
///
/// ```toml
/// name = "My theme"             # optional display name (default: the file name)
/// description = "…"             # optional
/// inherits = "default"          # optional: take every key not set here from that theme
///
/// [status]                      # all 11 statuses, NOT_SUBMITTED … FAILED
/// COMPLETED = "green"           # a colour alone is the foreground
/// FAILED = { fg = "#ff5f5f", bold = true }
///
/// [ui]                          # text, muted, header, footer, footer_key, column_title,
/// selection = { bg = 237 }      # selection, tab_active, tab_inactive, search_match,
///                               # error, warning, prompt, bar_empty
/// ```
///
/// - A style is a colour, or a table with `fg`, `bg` and the attributes `bold`, `dim`,
///   `underline`, `reverse`, `italic` (true/false). An inherited key is replaced whole,
///   not merged field by field.
/// - A colour is an ANSI name (`black` … `white`, `bright_black` … `bright_white`; also
///   `bright-red`, `brightred`, `light_red`, `grey`), a palette index 0–255 (`208` or `"208"`),
///   `#rrggbb` (or `#rgb`), or `default` (the terminal's own colour). Colours are mapped
///   down to what the terminal has (256 → 16 → 8).
/// - Without `inherits`, every key must be present. Unknown keys, bad colours and wrong
///   types are errors that name the file, line and key.
/// - Without colours (`NO_COLOR`, vt100) themes are set aside for ``MonochromeScheme``.
package struct Theme: Hashable, Sendable {
    /// The name the theme is selected by: its file name without `.toml`.
    package let name: String
    /// The `name` key, else ``name``.
    package let displayName: String
    /// The `description` key, else empty.
    package let summary: String
    package let origin: ThemeOrigin
    /// Indexed by `ThemeRole.denseIndex`; always `ThemeRole.allRoles.count` long.
    private let styles: [ThemeStyle]

    init(name: String, displayName: String?, summary: String?, origin: ThemeOrigin, styles: [ThemeRole: ThemeStyle]) {
        self.name = name
        self.displayName = displayName ?? name
        self.summary = summary ?? ""
        self.origin = origin
        var dense = Array(repeating: ThemeStyle(), count: ThemeRole.allRoles.count)
        for (role, style) in styles { dense[role.denseIndex] = style }
        self.styles = dense
    }

    /// The style the theme gives `role`, before any terminal is considered.
    package func style(for role: ThemeRole) -> ThemeStyle {
        styles[role.denseIndex]
    }

    /// Every role's style as a dictionary, for a child theme to inherit.
    var styleTable: [ThemeRole: ThemeStyle] {
        Dictionary(uniqueKeysWithValues: ThemeRole.allRoles.map { ($0, style(for: $0)) })
    }

    /// This theme for a terminal of `depth`.
    package func resolved(for depth: ColorDepth) -> ResolvedTheme {
        ResolvedTheme(theme: self, depth: depth)
    }

    /// Builds a theme from a document. Without `parent`, every role must be set.
    init(document: ThemeDocument, name: String, origin: ThemeOrigin, parent: Theme?) throws(ThemeError) {
        var styles = parent?.styleTable ?? [:]
        styles.merge(document.styles) { _, own in own }
        let missing = ThemeRole.allRoles.filter { styles[$0] == nil }
        if let first = missing.first {
            let keys = missing.map(\.themeKey)
            let list = keys.count > 4 ? keys.prefix(4).joined(separator: ", ") + " and \(keys.count - 4) more" : keys.joined(separator: ", ")
            let table = first.themeKey.split(separator: ".").map(String.init).prefix(1)
            throw ThemeError(file: document.file, line: document.locator.line(of: Array(table)),
                             key: first.themeKey,
                             message: "missing \(list) (set every key, or add inherits = \"default\")")
        }
        // Name and description are not inherited: a child is its own theme.
        self.init(name: name, displayName: document.displayName, summary: document.summary,
                  origin: origin, styles: styles)
    }
}
