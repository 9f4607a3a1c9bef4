import Foundation
import Testing
@testable import TaskmonMonitor

/// The built-ins are compiled in from `Themes/` by `Scripts/embed-themes`; this keeps them
/// from drifting apart when someone edits one side only.
@Suite struct ThemeEmbeddingTests {
    static let themes = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Themes")

    @Test func embeddedThemesMatchTheFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.themes.path)
            .filter { $0.hasSuffix(".toml") }
        let names = Set(files.map { String($0.dropLast(".toml".count)) })
        #expect(names == Set(BuiltinThemes.sources.keys), "run Scripts/embed-themes")
        #expect(Set(BuiltinThemes.order) == names)
        #expect(BuiltinThemes.order.first == "default")
        for name in names {
            let text = try String(contentsOf: Self.themes.appendingPathComponent("\(name).toml"), encoding: .utf8)
            #expect(BuiltinThemes.sources[name] == text, "Themes/\(name).toml differs from BuiltinThemes.swift: run Scripts/embed-themes")
        }
    }

    @Test func theFiveRequiredThemesShip() {
        for name in ["default", "light", "high-contrast", "solarized-dark", "mono"] {
            #expect(BuiltinThemes.sources[name] != nil, "\(name)")
        }
    }
}
