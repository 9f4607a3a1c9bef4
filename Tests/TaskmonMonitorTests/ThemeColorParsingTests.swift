import Testing
@testable import TaskmonMonitor

@Suite struct ThemeColorParsingTests {
    @Test(arguments: [
        ("black", 0), ("red", 1), ("green", 2), ("yellow", 3), ("blue", 4), ("magenta", 5), ("cyan", 6), ("white", 7),
        ("bright_black", 8), ("bright_red", 9), ("bright_white", 15),
        ("bright-red", 9), ("brightred", 9), ("Bright Red", 9), ("BRIGHT_GREEN", 10), ("light_blue", 12),
        ("grey", 8), ("gray", 8), ("light_grey", 7),
    ])
    func ansiNames(text: String, index: Int) {
        #expect(ThemeColor(themeText: text) == .indexed(UInt8(index)))
    }

    @Test func numbersHexAndDefault() {
        #expect(ThemeColor(themeText: "208") == .indexed(208))
        #expect(ThemeColor(themeText: "0") == .indexed(0))
        #expect(ThemeColor(themeInteger: 255) == .indexed(255))
        #expect(ThemeColor(themeText: "#ff8700") == .rgb(0xff, 0x87, 0x00))
        #expect(ThemeColor(themeText: "#FF8700") == .rgb(0xff, 0x87, 0x00))
        #expect(ThemeColor(themeText: "#f80") == .rgb(0xff, 0x88, 0x00))
        #expect(ThemeColor(themeText: "default") == .terminalDefault)
        #expect(ThemeColor(themeText: "Default") == .terminalDefault)
    }

    @Test(arguments: ["redd", "", "256", "-1", "#ff870", "#gg0000", "bright_", "brightest_red", "rgb(1,2,3)", "#"])
    func rejects(text: String) {
        #expect(ThemeColor(themeText: text) == nil)
    }

    @Test func integersOutOfRangeAreRejected() {
        #expect(ThemeColor(themeInteger: 256) == nil)
        #expect(ThemeColor(themeInteger: -1) == nil)
    }

    @Test func sixteenColourMappingKeepsHue() {
        // Muted theme colours used to land on grey (nearest in RGB); they keep their hue now.
        #expect(ThemeColor.indexed(78).mapped(to: .sixteen) == .index(2))     // sea green → green
        #expect(ThemeColor.indexed(214).mapped(to: .sixteen) == .index(11))   // orange → bright yellow
        #expect(ThemeColor.indexed(39).mapped(to: .sixteen) == .index(14))    // deep sky blue → bright cyan
        #expect(ThemeColor.indexed(133).mapped(to: .sixteen) == .index(5))    // orchid → magenta
        #expect(ThemeColor.rgb(7, 54, 66).mapped(to: .sixteen) == .index(0))  // very dark → black, not cyan
        #expect(ThemeColor.indexed(244).mapped(to: .sixteen) == .index(8))
        #expect(ThemeColor.indexed(252).mapped(to: .sixteen) == .index(7))
        #expect(ThemeColor.indexed(231).mapped(to: .sixteen) == .index(15))
        #expect(ThemeColor.indexed(78).mapped(to: .eight) == .index(2))
    }
}
