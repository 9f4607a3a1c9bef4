import Foundation
import TaskmonKit
@testable import TaskmonMonitor

/// A scratch config home: `root/taskmon/themes/` for user themes, `root/taskmon/config.toml`.
struct ScratchConfig {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("taskmon-theme-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/taskmon/themes", withIntermediateDirectories: true)
    }

    var environment: [String: String] { ["XDG_CONFIG_HOME": root, "HOME": "/nonexistent-home"] }
    var themes: String { root + "/taskmon/themes" }

    @discardableResult
    func writeTheme(_ name: String, _ text: String) throws -> String {
        let path = themes + "/\(name).toml"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func writeConfig(_ text: String) throws {
        try text.write(toFile: root + "/taskmon/config.toml", atomically: true, encoding: .utf8)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// A complete theme file with every key, each status a different palette index.
func completeThemeText(extra: String = "", status overrides: [String: String] = [:]) -> String {
    var text = extra + "\n[status]\n"
    for status in TaskStatus.allCases {
        text += "\(status.name) = \(overrides[status.name] ?? String(100 + status.rawValue))\n"
    }
    text += "\n[ui]\n"
    for role in ThemeRole.uiRoles { text += "\(role.uiKey) = \"default\"\n" }
    return text
}

/// Parses `text` as a theme with no parent.
func parseTheme(_ text: String, file: String = "Themes/mine.toml") throws(ThemeError) -> Theme {
    let document = try ThemeDocument(source: text, file: file)
    return try Theme(document: document, name: "mine", origin: .builtin, parent: nil)
}

/// The error parsing `text` gives, or nil if it parses.
func themeError(_ text: String, file: String = "Themes/mine.toml") -> ThemeError? {
    do {
        _ = try parseTheme(text, file: file)
        return nil
    } catch {
        return error
    }
}
