extension ColorDepth {
    /// The depth to draw with: `.monochrome` when `NO_COLOR` is set to anything non-empty
    /// (https://no-color.org), else what the terminal reports (`tigetnum("colors")`, or
    /// `COLORS` after `start_color`; 0 or -1 when it has none).
    package static func effective(terminalColors: Int, environment: [String: String]) -> ColorDepth {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .monochrome }
        return ColorDepth(colors: terminalColors)
    }
}
