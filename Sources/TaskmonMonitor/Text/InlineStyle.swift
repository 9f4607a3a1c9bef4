/// A look that came inside the text itself (SGR escape sequences in task output), laid over
/// the style the screen draws with. `nil` colours mean "the screen's colour", so output that
/// resets its colours falls back to the theme, not to the terminal's default.
public struct InlineStyle: Hashable, Sendable {
    public var foreground: TerminalColor?
    public var background: TerminalColor?
    public var attributes: TextAttributes

    public init(foreground: TerminalColor? = nil, background: TerminalColor? = nil, attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// No look of its own: the screen's style shows through.
    public static let none = InlineStyle()

    /// `base` with this style's colours and attributes laid over it.
    public func applied(to base: Style) -> Style {
        Style(foreground: foreground ?? base.foreground, background: background ?? base.background,
              attributes: base.attributes.union(attributes))
    }
}
