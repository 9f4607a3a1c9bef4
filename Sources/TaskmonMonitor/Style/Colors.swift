/// A colour as a theme file names it, before it meets a terminal.
package enum ThemeColor: Hashable, Sendable {
    /// The terminal's own foreground or background (`default` in a theme).
    case terminalDefault
    /// One of the 256 indexed colours (0–15 are the ANSI colours).
    case indexed(UInt8)
    /// A 24-bit colour (`#rrggbb`), shown as the nearest colour the terminal has.
    case rgb(UInt8, UInt8, UInt8)
}

/// How many colours a terminal can show. Ordered, so `depth >= .sixteen` reads naturally.
package enum ColorDepth: Int, Comparable, Sendable, CaseIterable {
    /// No colour at all: `NO_COLOR`, `vt100`, or a terminal without `colors`.
    case monochrome = 0
    case eight = 8
    case sixteen = 16
    case twoFiftySix = 256

    /// The depth for a terminal that reports `colors` colours.
    package init(colors: Int) {
        switch colors {
        case 256...: self = .twoFiftySix
        case 16..<256: self = .sixteen
        case 8..<16: self = .eight
        default: self = .monochrome
        }
    }

    package static func < (lhs: ColorDepth, rhs: ColorDepth) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A colour the terminal can show as it is: its default, or a palette index below its depth.
package enum TerminalColor: Hashable, Sendable {
    case terminalDefault
    case index(UInt8)
}

extension ThemeColor {
    /// The nearest colour a terminal of `depth` can show. Monochrome terminals get
    /// `.terminalDefault`; attributes (bold, reverse) carry the meaning there.
    package func mapped(to depth: ColorDepth) -> TerminalColor {
        switch (self, depth) {
        case (_, .monochrome), (.terminalDefault, _):
            return .terminalDefault
        case (.indexed(let index), .twoFiftySix):
            return .index(index)
        case (.rgb(let r, let g, let b), .twoFiftySix):
            return .index(Palette.nearest256(r, g, b))
        case (.indexed(let index), .sixteen):
            return .index(index < 16 ? index : Palette.nearest16(Palette.rgb(ofIndex: index)))
        case (.rgb(let r, let g, let b), .sixteen):
            return .index(Palette.nearest16((r, g, b)))
        case (.indexed(let index), .eight):
            // Bright ANSI colours (8–15) become their normal twins.
            return .index((index < 16 ? index : Palette.nearest16(Palette.rgb(ofIndex: index))) & 7)
        case (.rgb(let r, let g, let b), .eight):
            return .index(Palette.nearest16((r, g, b)) & 7)
        }
    }
}

/// The xterm palette, used to find the nearest colour when a terminal has fewer.
enum Palette {
    typealias RGB = (UInt8, UInt8, UInt8)

    /// xterm's default values for the 16 ANSI colours.
    static let ansi: [RGB] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
        (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ]
    /// The six levels of each axis of the 6×6×6 colour cube (indices 16–231).
    static let cubeLevels: [UInt8] = [0, 95, 135, 175, 215, 255]

    static func rgb(ofIndex index: UInt8) -> RGB {
        switch index {
        case 0..<16:
            return ansi[Int(index)]
        case 16..<232:
            let cube = Int(index) - 16
            return (cubeLevels[cube / 36], cubeLevels[(cube / 6) % 6], cubeLevels[cube % 6])
        default:
            let level = UInt8(8 + 10 * (Int(index) - 232))
            return (level, level, level)
        }
    }

    /// The nearest of the 240 non-ANSI palette entries (cube and greys); the ANSI 16
    /// are skipped because users often redefine them.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        var best: UInt8 = 16
        var bestDistance = Int.max
        for index in 16...255 {
            let distance = squaredDistance(rgb(ofIndex: UInt8(index)), (r, g, b))
            if distance < bestDistance {
                bestDistance = distance
                best = UInt8(index)
            }
        }
        return best
    }

    /// The ANSI colour (0–15) for `colour`, keeping its hue.
    ///
    /// Nearest-in-RGB sends muted colours (a soft green, a salmon, a lavender) to grey,
    /// since grey is nearer than any of the saturated ANSI colours; people read hue first,
    /// and a theme's green should stay green. So: clearly coloured → the ANSI colour of the
    /// nearest hue, bright when a channel is near full; greyish or very dark → the nearest
    /// of black, bright black, white, bright white.
    static func nearest16(_ colour: RGB) -> UInt8 {
        let r = Int(colour.0), g = Int(colour.1), b = Int(colour.2)
        let high = max(r, g, b), low = min(r, g, b), chroma = high - low
        guard chroma >= 40, chroma * 4 >= high, high >= 80 else {
            let level = (high + low) / 2
            let greys: [(index: UInt8, level: Int)] = [(0, 0), (8, 127), (7, 229), (15, 255)]
            return greys.min { abs($0.level - level) < abs($1.level - level) }!.index
        }
        let hue: Int
        if high == r {
            hue = (60 * (g - b) / chroma + 360) % 360
        } else if high == g {
            hue = 60 * (b - r) / chroma + 120
        } else {
            hue = 60 * (r - g) / chroma + 240
        }
        // 60° sectors centred on red, yellow, green, cyan, blue, magenta.
        let base: [UInt8] = [1, 3, 2, 6, 4, 5]
        let index = base[((hue + 30) % 360) / 60]
        return high > 230 ? index + 8 : index
    }

    private static func squaredDistance(_ a: RGB, _ b: RGB) -> Int {
        let dr = Int(a.0) - Int(b.0), dg = Int(a.1) - Int(b.1), db = Int(a.2) - Int(b.2)
        // Weighted towards green, as the eye is; cheap and good enough for picking a palette entry.
        return 3 * dr * dr + 4 * dg * dg + 2 * db * db
    }
}
