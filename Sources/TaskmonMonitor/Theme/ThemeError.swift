/// A problem with a theme or config file, worded for the person who wrote the file.
///
/// The description reads `FILE:LINE: KEY: MESSAGE`, e.g.
/// `Themes/mine.toml:12: status.FAILED: unknown colour "redd" (use a name, 0–255, #rrggbb or default)`;
/// the line or key is left out when there is none (a missing file has neither).
/// Whoever gets one keeps going with the default theme and shows this line.
package struct ThemeError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The file as the user would name it, or a source such as `--theme` or `TASKMON_THEME`.
    package var file: String
    /// 1-based line in `file`, when known.
    package var line: Int?
    /// The dotted key the problem is about (`status.FAILED`, `ui.selection.bg`).
    package var key: String?
    /// What is wrong and, where it helps, what would be right.
    package var message: String

    package init(file: String, line: Int? = nil, key: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    package var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let key { text += ": \(key)" }
        return text + ": " + message
    }
}
