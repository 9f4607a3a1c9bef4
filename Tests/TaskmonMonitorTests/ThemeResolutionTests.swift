import Testing
import TaskmonKit
@testable import TaskmonMonitor

@Suite struct ThemeResolutionTests {
    static let builtins = BuiltinThemes.order
    static let catalog = ThemeCatalog(environment: [:])

    @Test func mapsColoursDownPerDepth() throws {
        let theme = try parseTheme(completeThemeText(status: [
            "FAILED": "{ fg = \"#ff0000\", bg = 196, bold = true }",
            "COMPLETED": "\"bright_green\"",
        ]))
        let failed = ThemeRole.status(.failed), completed = ThemeRole.status(.completed)
        #expect(theme.resolved(for: .twoFiftySix).style(for: failed)
            == Style(foreground: .index(196), background: .index(196), attributes: .bold))
        #expect(theme.resolved(for: .sixteen).style(for: failed)
            == Style(foreground: .index(9), background: .index(9), attributes: .bold))
        #expect(theme.resolved(for: .eight).style(for: failed)
            == Style(foreground: .index(1), background: .index(1), attributes: .bold))
        #expect(theme.resolved(for: .twoFiftySix).style(for: completed) == Style(foreground: .index(10)))
        #expect(theme.resolved(for: .eight).style(for: completed) == Style(foreground: .index(2)))
        #expect(theme.resolved(for: .eight).style(for: .text) == .plain)
    }

    @Test func monochromeUsesTheFixedSchemeForEveryTheme() throws {
        for name in Self.builtins {
            let resolved = try Self.catalog.theme(named: name).resolved(for: .monochrome)
            for role in ThemeRole.allRoles {
                #expect(resolved.style(for: role) == Style(attributes: MonochromeScheme.attributes(for: role)))
            }
        }
        #expect(MonochromeScheme.attributes(for: .status(.failed)) == [.bold, .reverse])
        #expect(MonochromeScheme.attributes(for: .status(.running)) == .bold)
        #expect(MonochromeScheme.attributes(for: .status(.canceled)) == .underline)
        #expect(MonochromeScheme.attributes(for: .status(.submitted)) == .dim)
        #expect(MonochromeScheme.attributes(for: .selection) == .reverse)
    }

    @Test func theMonoThemeLooksTheSameWithOrWithoutColour() throws {
        let mono = try Self.catalog.theme(named: "mono")
        for depth in ColorDepth.allCases {
            for role in ThemeRole.allRoles {
                #expect(mono.resolved(for: depth).style(for: role) == mono.resolved(for: .monochrome).style(for: role),
                        "\(role.themeKey) at \(depth)")
            }
        }
    }

    /// What a reader sees of a status cell: its symbol and its look. Selection has no symbol.
    struct Look: Hashable {
        var symbol: Character?
        var style: Style
    }

    @Test(arguments: BuiltinThemes.order)
    func statusesAndSelectionAreDistinguishableAtEveryDepth(name: String) throws {
        let theme = try Self.catalog.theme(named: name)
        for depth in ColorDepth.allCases {
            let resolved = theme.resolved(for: depth)
            for symbols in [StatusSymbols.unicode, .ascii] {
                var looks = TaskStatus.allCases.map {
                    Look(symbol: symbols.symbol(for: $0), style: resolved.style(for: .status($0)))
                }
                looks.append(Look(symbol: nil, style: resolved.style(for: .selection)))
                #expect(Set(looks).count == looks.count, "\(name) at \(depth)")
                // And the selection must differ from plain text, or nobody sees where it is.
                #expect(resolved.style(for: .selection) != resolved.style(for: .text), "\(name) at \(depth)")
            }
        }
    }

    /// Stronger than the symbol test: in colour, the colour themes tell every status apart
    /// by look alone (8 colours cannot, for 11 statuses; symbols do it there).
    @Test(arguments: ["default", "light", "high-contrast", "solarized-dark"])
    func colourThemesDistinguishStatusesByStyleAlone(name: String) throws {
        let theme = try Self.catalog.theme(named: name)
        let depths: [ColorDepth] = name == "solarized-dark" ? [.twoFiftySix] : [.twoFiftySix, .sixteen]
        for depth in depths {
            let styles = TaskStatus.allCases.map { theme.resolved(for: depth).style(for: .status($0)) }
            #expect(Set(styles).count == styles.count, "\(name) at \(depth)")
        }
    }

    @Test(arguments: ["default", "light", "high-contrast", "solarized-dark"])
    func colourFamilies(name: String) throws {
        // At 16 colours the hue families are plain to check: reds for failures, green for done.
        let resolved = try Self.catalog.theme(named: name).resolved(for: .sixteen)
        func foreground(_ status: TaskStatus) -> TerminalColor {
            let style = resolved.style(for: .status(status))
            return style.background == .terminalDefault ? style.foreground : style.background
        }
        let reds: Set<TerminalColor> = [.index(1), .index(9)]
        #expect(reds.contains(foreground(.failed)))
        #expect(reds.contains(foreground(.timedOut)))
        if name != "high-contrast" { #expect(reds.contains(foreground(.environmentError))) }
        #expect([TerminalColor.index(2), .index(10), .index(3)].contains(foreground(.completed)))
        #expect([TerminalColor.index(4), .index(12), .index(6), .index(14)].contains(foreground(.running)))
    }

    @Test func selectedCellsKeepTheirColourOnTheSelection() throws {
        let resolved = try Self.catalog.theme(named: "default").resolved(for: .twoFiftySix)
        let selection = resolved.style(for: .selection)
        let failed = resolved.style(for: .status(.failed), selected: true)
        #expect(failed.background == selection.background)
        #expect(failed.foreground == resolved.style(for: .status(.failed)).foreground)
        #expect(failed.attributes.contains(.bold))
        #expect(resolved.style(for: .text, selected: true) == selection)
        #expect(resolved.style(for: .status(.failed), selected: false) == resolved.style(for: .status(.failed)))

        // Without colour, reverse toggles: a reversed status stays visible in a reversed row.
        let mono = Theme.builtinDefault.resolved(for: .monochrome)
        #expect(mono.style(for: .status(.failed), selected: true) == Style(attributes: .bold))
        #expect(mono.style(for: .status(.running), selected: true) == Style(attributes: [.bold, .reverse]))

        // A colour that would vanish into the selection gives way to the selection's own.
        let same = try parseTheme(completeThemeText(status: ["FAILED": "8"])
            .replacingOccurrences(of: "selection = \"default\"", with: "selection = { fg = 15, bg = 244 }"))
        #expect(same.resolved(for: .sixteen).style(for: .status(.failed), selected: true)
            == Style(foreground: .index(15), background: .index(8)))
    }

    @Test func barSegmentsUseTheStatusColourAsBackground() throws {
        let resolved = Theme.builtinDefault.resolved(for: .twoFiftySix)
        #expect(resolved.barStyle(for: .completed).background == resolved.style(for: .status(.completed)).foreground)
        let failed = try Self.catalog.theme(named: "high-contrast").resolved(for: .sixteen).barStyle(for: .failed)
        #expect(failed.background == .index(9))
        #expect(!failed.attributes.contains(.reverse))
        let mono = Theme.builtinDefault.resolved(for: .monochrome)
        #expect(mono.barStyle(for: .failed) == mono.style(for: .status(.failed)))
        #expect(mono.barNeedsSymbols)
        #expect(!resolved.barNeedsSymbols)
        #expect(try Self.catalog.theme(named: "mono").resolved(for: .twoFiftySix).barNeedsSymbols)
    }
}
