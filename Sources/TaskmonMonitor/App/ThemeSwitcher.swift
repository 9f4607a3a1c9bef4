/// The theme in use and the `T` key's next one, resolved for this terminal.
final class ThemeSwitcher {
    private let catalog: ThemeCatalog
    private let depth: ColorDepth
    private var theme: Theme
    private(set) var current: ResolvedTheme
    /// Why the theme asked for at start could not be used (shown in the footer).
    let startupProblem: String?

    init(flag: String?, environment: [String: String], depth: ColorDepth) {
        catalog = ThemeCatalog(environment: environment)
        self.depth = depth
        let choice = catalog.select(flag: flag, environment: environment)
        theme = choice.theme
        current = choice.theme.resolved(for: depth)
        startupProblem = choice.problems.first.map { "\($0.description) — using the default theme" }
    }

    /// Moves to the next theme in the catalog (skipping broken ones, which it reports).
    func next() -> (ResolvedTheme, String, String?) {
        let (next, problems) = catalog.loadNext(after: theme.name)
        theme = next
        current = next.resolved(for: depth)
        let suffix = depth == .monochrome ? " (no colours on this terminal or with NO_COLOR)" : ""
        return (current, next.displayName + suffix, problems.first.map(\.description))
    }
}
