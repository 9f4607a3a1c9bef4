/// A look that came inside the text itself (SGR escape sequences in task output), laid over
/// the style the screen draws with. `nil` colours mean "the screen's colour", so output that
/// resets its colours falls back to the theme, not to the terminal's default.
package struct InlineStyle: Hashable, Sendable {
    /// The text's colour, or nil for the screen's.
    package var foreground: TerminalColor?
    /// The background, or nil for the screen's.
    package var background: TerminalColor?
    /// Added to the screen's attributes (SGR cannot take away a theme's bold).
    package var attributes: TextAttributes

    /// A style with these colours and attributes.
    package init(foreground: TerminalColor? = nil, background: TerminalColor? = nil, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// No look of its own: the screen's style shows through.
    package static let none = InlineStyle()

    /// `base` with this style's colours and attributes laid over it.
    package func applied(to base: Style) -> Style {
        Style(foreground: foreground ?? base.foreground, background: background ?? base.background,
              attributes: base.attributes.union(attributes))
    }
}
