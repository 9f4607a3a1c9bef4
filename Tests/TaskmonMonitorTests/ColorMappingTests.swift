import Testing
@testable import TaskmonMonitor

@Suite struct ColorMappingTests {
    @Test func indexedColoursPassThroughOn256ColourTerminals() {
        #expect(ThemeColor.indexed(202).mapped(to: .twoFiftySix) == .index(202))
    }

    @Test func rgbFindsTheNearestCubeEntry() {
        // #ff8700 is exactly cube entry 208 in xterm's palette.
        #expect(ThemeColor.rgb(0xff, 0x87, 0x00).mapped(to: .twoFiftySix) == .index(208))
        #expect(ThemeColor.rgb(0x80, 0x80, 0x80).mapped(to: .twoFiftySix) == .index(244))
    }

    @Test func sixteenColourTerminalsGetTheNearestAnsiColour() {
        #expect(ThemeColor.rgb(250, 10, 10).mapped(to: .sixteen) == .index(9))
        #expect(ThemeColor.indexed(196).mapped(to: .sixteen) == .index(9))
        #expect(ThemeColor.indexed(3).mapped(to: .sixteen) == .index(3))
    }

    @Test func eightColourTerminalsFoldBrightColoursOntoNormalOnes() {
        #expect(ThemeColor.indexed(9).mapped(to: .eight) == .index(1))
        #expect(ThemeColor.rgb(250, 10, 10).mapped(to: .eight) == .index(1))
    }

    @Test func monochromeAndDefaultStayDefault() {
        #expect(ThemeColor.indexed(9).mapped(to: .monochrome) == .terminalDefault)
        #expect(ThemeColor.terminalDefault.mapped(to: .twoFiftySix) == .terminalDefault)
    }

    @Test func depthFromColourCount() {
        #expect(ColorDepth(colors: 256) == .twoFiftySix)
        #expect(ColorDepth(colors: 16_777_216) == .twoFiftySix)
        #expect(ColorDepth(colors: 88) == .sixteen)
        #expect(ColorDepth(colors: 8) == .eight)
        #expect(ColorDepth(colors: 0) == .monochrome)
        #expect(ColorDepth(colors: -1) == .monochrome)
    }
}
