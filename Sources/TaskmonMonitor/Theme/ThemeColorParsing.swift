import Foundation

extension ThemeColor {
    /// The hint every colour error ends with.
    static let accepted = "use a name, 0–255, #rrggbb or default"

    /// Parses a colour as theme files write it as a string: `red`, `bright_red`,
    /// `"208"`, `#ff8700`, `#f80`, `default`. Names ignore case, and `-`, `_` and spaces
    /// are the same (`bright-red`, `Bright Red`, `brightred`); `light_` means `bright_`;
    /// `grey`/`gray` is bright black. Returns nil for anything else.
    package init?(themeText text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("#") {
            guard let rgb = Self.hex(trimmed.dropFirst()) else { return nil }
            self = rgb
        } else if let number = Int(trimmed) {
            guard let colour = ThemeColor(themeInteger: number) else { return nil }
            self = colour
        } else if let named = Self.named(trimmed) {
            self = named
        } else {
            return nil
        }
    }

    /// A palette index 0–255 as a theme file writes it (`fg = 208`).
    package init?(themeInteger number: Int) {
        guard let index = UInt8(exactly: number) else { return nil }
        self = .indexed(index)
    }

    private static let baseNames: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
    ]

    private static func named(_ text: String) -> ThemeColor? {
        let key = String(text.lowercased().filter { $0 != "_" && $0 != "-" && $0 != " " })
        switch key {
        case "default": return .terminalDefault
        case "grey", "gray", "darkgrey", "darkgray": return .indexed(8)
        case "lightgrey", "lightgray", "silver": return .indexed(7)
        default: break
        }
        for prefix in ["bright", "light"] where key.hasPrefix(prefix) {
            guard let base = baseNames[String(key.dropFirst(prefix.count))] else { return nil }
            return .indexed(base + 8)
        }
        return baseNames[key].map(ThemeColor.indexed)
    }

    private static func hex(_ digits: Substring) -> ThemeColor? {
        guard digits.allSatisfy(\.isHexDigit) else { return nil }
        let values = digits.compactMap { $0.hexDigitValue }.map(UInt8.init)
        switch values.count {
        case 6: return .rgb(values[0] << 4 | values[1], values[2] << 4 | values[3], values[4] << 4 | values[5])
        case 3: return .rgb(values[0] * 17, values[1] * 17, values[2] * 17)
        default: return nil
        }
    }
}
