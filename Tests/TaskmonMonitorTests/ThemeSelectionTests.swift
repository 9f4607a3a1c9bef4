import Testing
import TaskmonKit
@testable import TaskmonMonitor

@Suite struct ThemeSelectionTests {
    @Test func precedenceIsFlagThenEnvironmentThenConfigThenDefault() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeConfig("# taskmon\ntheme = \"light\"\n[keys]\nquit = \"q\"\n")
        var environment = scratch.environment
        environment["TASKMON_THEME"] = "mono"
        let catalog = ThemeCatalog(environment: environment)

        let flag = catalog.select(flag: "solarized-dark", environment: environment)
        #expect(flag.theme.name == "solarized-dark")
        #expect(flag.source == .flag)
        #expect(flag.problems.isEmpty)

        let env = catalog.select(flag: nil, environment: environment)
        #expect(env.theme.name == "mono")
        #expect(env.source == .environment)

        environment["TASKMON_THEME"] = ""
        let config = catalog.select(flag: "", environment: environment)
        #expect(config.theme.name == "light")
        #expect(config.source == .configFile(path: scratch.root + "/taskmon/config.toml"))

        let none = catalog.select(flag: nil, environment: ["HOME": "/nonexistent"])
        #expect(none.theme == Theme.builtinDefault)
        #expect(none.source == .fallback)
        #expect(none.problems.isEmpty)
    }

    @Test func aBrokenChoiceFallsBackToDefaultWithTheReason() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        try scratch.writeTheme("broken", "inherits = \"default\"\n\n[ui]\nselection = { bg = \"nope\" }\n")
        let catalog = ThemeCatalog(environment: scratch.environment)

        let broken = catalog.select(flag: "broken", environment: scratch.environment)
        #expect(broken.theme == Theme.builtinDefault)
        #expect(broken.source == .fallback)
        #expect(broken.problems.map(\.description) == [
            "\(scratch.themes)/broken.toml:4: ui.selection.bg: unknown colour \"nope\" (use a name, 0–255, #rrggbb or default)",
        ])

        let unknown = catalog.select(flag: "nope", environment: scratch.environment)
        #expect(unknown.problems.first?.description.hasPrefix("--theme: unknown theme \"nope\" (available: default, high-contrast") == true)
        var environment = scratch.environment
        environment["TASKMON_THEME"] = "nope"
        #expect(catalog.select(flag: nil, environment: environment).problems.first?.file == "TASKMON_THEME")
    }

    @Test func pathsWork() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        let path = try scratch.writeTheme("elsewhere", "inherits = \"light\"\n")
        let catalog = ThemeCatalog(environment: [:])
        let choice = catalog.select(flag: path, environment: [:])
        #expect(choice.problems.isEmpty)
        #expect(choice.theme.name == "elsewhere")
        #expect(choice.theme.origin == .file(path: path))

        // Relative to the config file's folder when written there; ~ from HOME.
        try scratch.writeConfig("theme = \"themes/elsewhere.toml\"\n")
        #expect(catalog.select(flag: nil, environment: scratch.environment).theme.origin == .file(path: path))
        let home = ThemeCatalog(environment: ["HOME": scratch.root])
        #expect(home.select(flag: "~/taskmon/themes/elsewhere.toml", environment: [:]).theme.origin
            == .file(path: scratch.root + "/taskmon/themes/elsewhere.toml"))
    }

    @Test func configFileErrorsNameFileLineAndKey() throws {
        let scratch = try ScratchConfig()
        defer { scratch.remove() }
        let config = scratch.root + "/taskmon/config.toml"
        let catalog = ThemeCatalog(environment: scratch.environment)

        try scratch.writeConfig("[monitor]\nx = 1\n\ntheme = 3\n")  // `theme` lands in [monitor]: not ours
        #expect(catalog.select(flag: nil, environment: scratch.environment).problems.isEmpty)

        try scratch.writeConfig("# comment\ntheme = 3\n")
        let wrongType = catalog.select(flag: nil, environment: scratch.environment)
        #expect(wrongType.theme == Theme.builtinDefault)
        #expect(wrongType.problems.map(\.description) == ["\(config):2: theme: expected a theme name or path in quotes, got integer"])

        try scratch.writeConfig("theme = \"light\n")
        let syntax = catalog.select(flag: nil, environment: scratch.environment)
        #expect(syntax.problems.first?.line == 1)
        #expect(syntax.problems.first?.description.hasPrefix("\(config):1: TOML syntax:") == true)

        try scratch.writeConfig("\ntheme = \"nope\"\n")
        #expect(catalog.select(flag: nil, environment: scratch.environment).problems.first?.description
            .hasPrefix("\(config):2: theme: unknown theme \"nope\"") == true)
    }

    @Test func noColorMeansMonochrome() {
        #expect(ColorDepth.effective(terminalColors: 256, environment: [:]) == .twoFiftySix)
        #expect(ColorDepth.effective(terminalColors: 256, environment: ["NO_COLOR": "1"]) == .monochrome)
        #expect(ColorDepth.effective(terminalColors: 256, environment: ["NO_COLOR": "false"]) == .monochrome)
        // no-color.org: set *and non-empty*.
        #expect(ColorDepth.effective(terminalColors: 256, environment: ["NO_COLOR": ""]) == .twoFiftySix)
        #expect(ColorDepth.effective(terminalColors: 8, environment: [:]) == .eight)
        #expect(ColorDepth.effective(terminalColors: -1, environment: [:]) == .monochrome)
    }
}
