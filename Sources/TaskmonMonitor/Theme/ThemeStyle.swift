/// How a role looks according to a theme file, before it meets a terminal.
package struct ThemeStyle: Hashable, Sendable {
    package var foreground: ThemeColor
    package var background: ThemeColor
    package var attributes: TextAttributes

    package init(foreground: ThemeColor = .terminalDefault, background: ThemeColor = .terminalDefault,
                attributes: TextAttributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    /// This style on a terminal with colours. Monochrome terminals do not come here: they get
    /// ``MonochromeScheme``, since a theme's colours say nothing about how to do without them.
    func mapped(to depth: ColorDepth) -> Style {
        Style(foreground: foreground.mapped(to: depth), background: background.mapped(to: depth),
              attributes: attributes)
    }
}
