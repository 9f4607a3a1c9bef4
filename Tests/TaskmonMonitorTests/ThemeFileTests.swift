import Testing
import TaskmonKit
@testable import TaskmonMonitor

@Suite struct ThemeFileTests {
    @Test func everyStyleForm() throws {
        let text = completeThemeText(status: [
            "COMPLETED": "\"green\"",
            "RUNNING": "33",
            "FAILED": "{ fg = \"#ff0000\", bg = \"black\", bold = true, dim = true, underline = true, reverse = true, italic = true }",
            "CANCELED": "{ bg = \"208\", bold = false }",
            "SUBMITTED": "{}",
        ])
        let theme = try parseTheme(text)
        #expect(theme.style(for: .status(.completed)) == ThemeStyle(foreground: .indexed(2)))
        #expect(theme.style(for: .status(.running)) == ThemeStyle(foreground: .indexed(33)))
        #expect(theme.style(for: .status(.failed)) == ThemeStyle(
            foreground: .rgb(255, 0, 0), background: .indexed(0),
            attributes: [.bold, .dim, .underline, .reverse, .italic]))
        #expect(theme.style(for: .status(.canceled)) == ThemeStyle(background: .indexed(208)))
        #expect(theme.style(for: .status(.submitted)) == ThemeStyle())
        #expect(theme.style(for: .text) == ThemeStyle())
    }

    @Test func standardTablesAndDottedKeysWorkToo() throws {
        var text = completeThemeText()
        text = text.replacingOccurrences(of: "FAILED = 110\n", with: "")
        text += "\n[status.FAILED]\nfg = \"bright_red\"\nbold = true\n"
        text = text.replacingOccurrences(of: "RUNNING = 103\n", with: "RUNNING.fg = \"blue\"\n")
        let theme = try parseTheme(text)
        #expect(theme.style(for: .status(.failed)) == ThemeStyle(foreground: .indexed(9), attributes: .bold))
        #expect(theme.style(for: .status(.running)) == ThemeStyle(foreground: .indexed(4)))
    }

    @Test func nameAndDescription() throws {
        let theme = try parseTheme(completeThemeText(extra: "name = \"Mine\"\ndescription = \"mine, all mine\""))
        #expect(theme.displayName == "Mine")
        #expect(theme.summary == "mine, all mine")
        #expect(try parseTheme(completeThemeText()).displayName == "mine")
    }

    @Test func statusNamesIgnoreCaseButNotTwice() throws {
        let lower = completeThemeText().replacingOccurrences(of: "TIMED_OUT = 109", with: "timed-out = 9")
        #expect(try parseTheme(lower).style(for: .status(.timedOut)) == ThemeStyle(foreground: .indexed(9)))
        let twice = completeThemeText() + "" // FAILED already set; add a second spelling
        let error = themeError(twice.replacingOccurrences(of: "[ui]", with: "failed = 1\n\n[ui]"))
        #expect(error?.key == "status.failed")
        #expect(error?.message.contains("set twice") == true)
    }

    // MARK: errors name file, line and key

    @Test func badColourNamesFileLineAndKey() throws {
        let text = completeThemeText(status: ["FAILED": "\"redd\""])
        let line = try #require(lineNumber(of: "FAILED = \"redd\"", in: text))
        let error = try #require(themeError(text))
        #expect(error.description == "Themes/mine.toml:\(line): status.FAILED: unknown colour \"redd\" (use a name, 0–255, #rrggbb or default)")
    }

    @Test func badColourInsideAnInlineTable() throws {
        let text = completeThemeText(status: ["RUNNING": "{ fg = \"blue\", bg = \"#12345\" }"])
        let error = try #require(themeError(text))
        #expect(error.key == "status.RUNNING.bg")
        #expect(error.line == lineNumber(of: "RUNNING = {", in: text))
        #expect(error.message.hasPrefix("unknown colour \"#12345\""))
    }

    @Test func badColourInAStandardTableFindsTheKeysOwnLine() throws {
        var text = completeThemeText().replacingOccurrences(of: "FAILED = 110\n", with: "")
        text += "\n[status.FAILED]\nbold = true\nfg = 300\n"
        let error = try #require(themeError(text))
        #expect(error.key == "status.FAILED.fg")
        #expect(error.line == lineNumber(of: "fg = 300", in: text))
        #expect(error.message == "unknown colour 300 (use a name, 0–255, #rrggbb or default)")
    }

    @Test func dottedKeyLines() throws {
        let topLevel = try #require(themeError("name = \"x\"\nstatus.FAILED = \"nope\"\n"))
        #expect(topLevel.line == 2)
        #expect(topLevel.key == "status.FAILED")

        let text = completeThemeText().replacingOccurrences(of: "FAILED = 110\n", with: "FAILED.bg = \"nope\"\n")
        let inTable = try #require(themeError(text))
        #expect(inTable.key == "status.FAILED.bg")
        #expect(inTable.line == lineNumber(of: "FAILED.bg", in: text))
    }

    @Test func unknownKeysAreErrorsWithSuggestions() throws {
        let typo = completeThemeText().replacingOccurrences(of: "[ui]\n", with: "[ui]\nfooter_kye = \"red\"\n")
        let error = try #require(themeError(typo))
        #expect(error.key == "ui.footer_kye")
        #expect(error.line == lineNumber(of: "footer_kye", in: typo))
        #expect(error.message == "unknown key (did you mean \"footer_key\"?)")

        let status = try #require(themeError(completeThemeText().replacingOccurrences(of: "[ui]", with: "FAILLED = 1\n[ui]")))
        #expect(status.key == "status.FAILLED")
        #expect(status.message.contains("did you mean \"FAILED\"?"))

        let topLevel = try #require(themeError("COMPLETED = \"green\"\n" + completeThemeText()))
        #expect(topLevel.description == "Themes/mine.toml:1: COMPLETED: unknown key (put it under [status])")

        let attribute = try #require(themeError(completeThemeText(status: ["FAILED": "{ fg = 1, blink = true }"])))
        #expect(attribute.key == "status.FAILED.blink")
        #expect(attribute.message.hasPrefix("unknown key"))

        let far = try #require(themeError("colours = 1\n" + completeThemeText()))
        #expect(far.message == "unknown key (expected one of: name, description, inherits, status, ui)")
    }

    @Test func wrongTypes() throws {
        let bold = try #require(themeError(completeThemeText(status: ["FAILED": "{ fg = 1, bold = \"yes\" }"])))
        #expect(bold.key == "status.FAILED.bold")
        #expect(bold.message == "expected true or false, got a string")

        let array = try #require(themeError(completeThemeText(status: ["FAILED": "[1, 2]"])))
        #expect(array.key == "status.FAILED")
        #expect(array.message.hasPrefix("expected a colour or a table"))

        let float = try #require(themeError(completeThemeText(status: ["FAILED": "{ fg = 1.5 }"])))
        #expect(float.message == "expected a colour (a string or 0–255), got a number with a fraction")

        let name = try #require(themeError("name = 3\n" + completeThemeText()))
        #expect(name.description == "Themes/mine.toml:1: name: expected a string, got an integer")

        let table = try #require(themeError("status = \"red\"\n"))
        #expect(table.key == "status")
        #expect(table.line == 1)
    }

    @Test func tomlSyntaxErrorsGiveTheLine() throws {
        let text = "name = \"x\"\n\n[status]\nFAILED = \"red\n"
        let error = try #require(themeError(text))
        #expect(error.line == 4)
        #expect(error.key == nil)
        #expect(error.description.hasPrefix("Themes/mine.toml:4: TOML syntax: "))
    }

    @Test func theTopmostProblemIsReported() throws {
        let text = completeThemeText(status: ["NOT_SUBMITTED": "\"nope\"", "FAILED": "\"nope\""])
        #expect(themeError(text)?.key == "status.NOT_SUBMITTED")
    }

    @Test func missingKeysWithoutInheritsAreErrors() throws {
        let text = completeThemeText().replacingOccurrences(of: "RUNNING = 103\n", with: "")
        let error = try #require(themeError(text))
        #expect(error.key == "status.RUNNING")
        #expect(error.line == lineNumber(of: "[status]", in: text))
        #expect(error.message == "missing status.RUNNING (set every key, or add inherits = \"default\")")

        let many = try #require(themeError("name = \"empty\"\n"))
        #expect(many.message.hasPrefix("missing status.NOT_SUBMITTED, status.SUBMITTED, status.ASSIGNED, status.RUNNING and 21 more"))
    }

    @Test func everyUIRoleHasAKeyThatReadsBack() {
        #expect(ThemeRole.allRoles.count == 25)
        #expect(Set(ThemeRole.allRoles).count == ThemeRole.allRoles.count)
        #expect(ThemeRole.allRoles.map(\.denseIndex) == Array(0..<25))
        for role in ThemeRole.uiRoles {
            #expect(ThemeRole.ui(key: role.uiKey) == role)
        }
        #expect(ThemeRole.footerKey.themeKey == "ui.footer_key")
        #expect(ThemeRole.status(.environmentError).themeKey == "status.ENVIRONMENT_ERROR")
    }

    @Test func keyLocatorSkipsStringsAndComments() {
        let source = """
            # status.FAILED = "commented"
            description = \"\"\"
            FAILED = "inside a string"
            \"\"\"
            [ "status" ]  # a comment
            'FAILED' = { fg = "#ff0000" } # hex is not a comment
            [[ui.list]]
            x = 1
            """
        let locator = TOMLKeyLocator(source: source)
        #expect(locator.line(of: ["status", "FAILED"]) == 6)
        #expect(locator.line(of: ["status", "FAILED", "fg"]) == 6)
        #expect(locator.line(of: ["status", "RUNNING"]) == 5)
        #expect(locator.line(of: ["ui", "list", "x"]) == 8)
        #expect(locator.line(of: ["nowhere"]) == nil)
    }
}

/// The 1-based line of the first line containing `fragment`.
func lineNumber(of fragment: String, in text: String) -> Int? {
    text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains(fragment) }.map { $0 + 1 }
}
