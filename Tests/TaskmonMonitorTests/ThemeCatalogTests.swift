import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

@Suite struct ThemeCatalogTests {
    @Test func everyBuiltinLoads() throws {
        let catalog = ThemeCatalog(environment: [:])
        #expect(catalog.names == ["default", "high-contrast", "light", "mono", "solarized-dark"])
        for name in catalog.names {
            let theme = try catalog.theme(named: name)
            #expect(theme.origin == .builtin)
            #expect(!theme.summary.isEmpty)
        }
        #expect(Theme.builtinDefault == (try catalog.theme(named: "default")))
        #expect(Theme.builtinDefault != Theme.plain)
    }

    @Test func userThemesAreListedAfterBuiltinsAndOverrideByName() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        let override = try scratch.writeTheme("light", "inherits = \"light\"\n[status]\nFAILED = \"magenta\"\n")
        try scratch.writeTheme("zebra", "inherits = \"default\"\n")
        try scratch.writeTheme("aardvark", "inherits = \"mono\"\n")
        try "not a theme".write(toFile: scratch.themes + "/notes.txt", atomically: true, encoding: .utf8)
        try scratch.writeTheme(".hidden", "")

        let catalog = ThemeCatalog(environment: scratch.environment)
        #expect(catalog.names == ["default", "high-contrast", "light", "mono", "solarized-dark", "aardvark", "zebra"])
        #expect(catalog.entries[2] == .init(name: "light", origin: .file(path: override), overridesBuiltin: true))

        let light = try catalog.theme(named: "light")
        #expect(light.origin == .file(path: override))
        #expect(light.style(for: .status(.failed)) == ThemeStyle(foreground: .indexed(5)))
        // Everything else comes from the built-in light theme it extends.
        let builtinLight = try ThemeCatalog(environment: [:]).theme(named: "light")
        #expect(light.style(for: .status(.running)) == builtinLight.style(for: .status(.running)))
        #expect(light.displayName == "light")
    }

    @Test func cyclingIsStableAndWraps() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeTheme("mine", "inherits = \"default\"\n")
        let catalog = ThemeCatalog(environment: scratch.environment)
        var name = "default"
        var seen: [String] = []
        for _ in 0..<catalog.names.count {
            name = catalog.next(after: name)
            seen.append(name)
        }
        #expect(seen == ["high-contrast", "light", "mono", "solarized-dark", "mine", "default"])
        #expect(catalog.next(after: "/some/path/theme") == "default")
    }

    @Test func loadNextSkipsBrokenThemesAndSaysWhy() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeTheme("broken", "inherits = \"default\"\n[status]\nFAILED = \"redd\"\n")
        try scratch.writeTheme("fine", "inherits = \"mono\"\n")
        let catalog = ThemeCatalog(environment: scratch.environment)
        let (theme, problems) = catalog.loadNext(after: "solarized-dark")
        #expect(theme.name == "fine")
        #expect(problems.map(\.description) == [
            "\(scratch.themes)/broken.toml:3: status.FAILED: unknown colour \"redd\" (use a name, 0–255, #rrggbb or default)",
        ])
    }

    @Test func inheritanceChainsAndLoops() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeTheme("base", "inherits = \"solarized-dark\"\n[status]\nCOMPLETED = 10\n")
        try scratch.writeTheme("child", "name = \"Child\"\ninherits = \"base\"\n[ui]\ntext = \"white\"\n")
        try scratch.writeTheme("loop-a", "inherits = \"loop-b\"\n")
        try scratch.writeTheme("loop-b", "\n\ninherits = \"loop-a\"\n")
        try scratch.writeTheme("self", "inherits = \"self\"\n")
        try scratch.writeTheme("orphan", "# no parent\ninherits = \"nope\"\n")
        let catalog = ThemeCatalog(environment: scratch.environment)

        let child = try catalog.theme(named: "child")
        let solarized = try catalog.theme(named: "solarized-dark")
        #expect(child.displayName == "Child")
        #expect(child.style(for: .text) == ThemeStyle(foreground: .indexed(7)))
        #expect(child.style(for: .status(.completed)) == ThemeStyle(foreground: .indexed(10)))
        #expect(child.style(for: .status(.failed)) == solarized.style(for: .status(.failed)))

        #expect(throws: ThemeError(file: scratch.themes + "/loop-b.toml", line: 3, key: "inherits",
                                   message: "inherits goes round in a circle: loop-a → loop-b → loop-a")) {
            try catalog.theme(named: "loop-a")
        }
        let selfError = try #require(throws: ThemeError.self) { try catalog.theme(named: "self") }
        #expect(selfError.key == "inherits")
        #expect(selfError.message.contains("no built-in \"self\""))
        let orphan = try #require(throws: ThemeError.self) { try catalog.theme(named: "orphan") }
        #expect(orphan.description.hasPrefix("\(scratch.themes)/orphan.toml:2: inherits: unknown theme \"nope\" (available: default, "))
    }

    @Test func aUserFileCanReplaceABuiltinCompletely() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeTheme("default", completeThemeText())
        let catalog = ThemeCatalog(environment: scratch.environment)
        #expect(try catalog.theme(named: "default").style(for: .status(.failed)) == ThemeStyle(foreground: .indexed(110)))
        // The fallback after an error stays the built-in, which cannot be broken by a user file.
        #expect(Theme.builtinDefault.origin == .builtin)
    }

    @Test func unreadableFiles() throws {
        let catalog = ThemeCatalog(environment: [:])
        #expect(throws: ThemeError(file: "/nonexistent/x.toml", message: "no such file")) {
            try catalog.theme(atPath: "/nonexistent/x.toml")
        }
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        let path = scratch.themes + "/latin1.toml"
        try Data([0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xe9]).write(to: URL(fileURLWithPath: path))
        #expect(throws: ThemeError(file: path, message: "not valid UTF-8")) { try catalog.theme(atPath: path) }
    }

    @Test func xdgDefaultsToHomeDotConfigAndIgnoresRelativePaths() {
        #expect(ThemeCatalog(environment: ["HOME": "/home/ada"]).userDirectory == "/home/ada/.config/taskmon/themes")
        #expect(ThemeCatalog(environment: ["HOME": "/home/ada", "XDG_CONFIG_HOME": "/cfg"]).userDirectory
            == "/cfg/taskmon/themes")
        #expect(ThemeCatalog(environment: ["HOME": "/home/ada", "XDG_CONFIG_HOME": "rel"]).userDirectory
            == "/home/ada/.config/taskmon/themes")
        #expect(ThemeCatalog(environment: [:]).userDirectory == nil)
    }
}
