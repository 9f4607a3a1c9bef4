/// Select Graphic Rendition (`CSI … m`): the one escape sequence whose meaning the monitor
/// keeps, as colours and attributes, when output colours are on.
struct SGRParameters {
    /// More parameters than this in one sequence are ignored; real programs send a handful.
    static let capacity = 32

    /// The values; -1 stands for an empty parameter (which means 0, or "unspecified" in `38:2::r:g:b`).
    private(set) var values: [Int] = []
    /// Whether each value followed a `:` (a sub-parameter of the one before), as in `38:5:196`.
    private(set) var isSubParameter: [Bool] = []
    private var current = -1
    private var currentIsSub = false
    /// Set by a private marker (`<=>?`) or an intermediate byte: then it is not SGR.
    var isPrivate = false

    init() {
        values.reserveCapacity(Self.capacity)
        isSubParameter.reserveCapacity(Self.capacity)
    }

    mutating func reset() {
        values.removeAll(keepingCapacity: true)
        isSubParameter.removeAll(keepingCapacity: true)
        current = -1
        currentIsSub = false
        isPrivate = false
    }

    /// One byte of the parameter part (0x30–0x3F).
    mutating func add(_ byte: UInt32) {
        switch byte {
        case 0x30...0x39:
            // Capped so a long run of digits cannot overflow; no colour value needs more.
            current = min(max(current, 0) * 10 + Int(byte - 0x30), 100_000)
        case 0x3B, 0x3A:  // ';' ends a parameter, ':' also starts a sub-parameter.
            finishParameter()
            currentIsSub = byte == 0x3A
        default:  // '<' '=' '>' '?': a private sequence, not SGR.
            isPrivate = true
        }
    }

    /// Closes the last parameter at the final byte.
    mutating func finish() { finishParameter() }

    private mutating func finishParameter() {
        if values.count < Self.capacity {
            values.append(current)
            isSubParameter.append(currentIsSub)
        }
        current = -1
        currentIsSub = false
    }
}

extension InlineStyle {
    /// Applies one SGR sequence. Colours are mapped to what a terminal of `depth` can show;
    /// on a monochrome terminal they are left to the screen's style.
    mutating func apply(_ sgr: SGRParameters, depth: ColorDepth) {
        let values = sgr.values, isSub = sgr.isSubParameter
        var index = 0
        // The index just past `index`'s sub-parameters.
        func groupEnd(after index: Int) -> Int {
            var end = index + 1
            while end < values.count && isSub[end] { end += 1 }
            return end
        }
        while index < values.count {
            let code = max(values[index], 0)
            var next = groupEnd(after: index)
            switch code {
            case 0: self = .none
            case 1: attributes.insert(.bold)
            case 2: attributes.insert(.dim)
            case 3: attributes.insert(.italic)
            case 4:
                // `4:0` is "no underline"; `4:3` (curly) and friends are still underlines.
                if next > index + 1 && values[index + 1] == 0 { attributes.remove(.underline) }
                else { attributes.insert(.underline) }
            case 7: attributes.insert(.reverse)
            case 21: attributes.insert(.underline)  // double underline
            case 22: attributes.subtract([.bold, .dim])
            case 23: attributes.remove(.italic)
            case 24: attributes.remove(.underline)
            case 27: attributes.remove(.reverse)
            case 30...37: foreground = Self.map(.indexed(UInt8(code - 30)), depth)
            case 39: foreground = nil
            case 40...47: background = Self.map(.indexed(UInt8(code - 40)), depth)
            case 49: background = nil
            case 90...97: foreground = Self.map(.indexed(UInt8(code - 90 + 8)), depth)
            case 100...107: background = Self.map(.indexed(UInt8(code - 100 + 8)), depth)
            case 38, 48:
                let colour: ThemeColor?
                if next > index + 1 {
                    // Colon form: 38:5:n, 38:2:r:g:b or 38:2:colourspace:r:g:b.
                    colour = Self.extendedColour(Array(values[(index + 1)..<next]))
                } else {
                    // Semicolon form: 38;5;n or 38;2;r;g;b, the parameters that follow.
                    let kind = index + 1 < values.count ? values[index + 1] : -1
                    let count = kind == 5 ? 2 : kind == 2 ? 4 : 1
                    let end = min(index + 1 + count, values.count)
                    colour = Self.extendedColour(Array(values[(index + 1)..<end]))
                    next = end
                }
                if let colour {
                    if code == 38 { foreground = Self.map(colour, depth) } else { background = Self.map(colour, depth) }
                }
            default: break  // blink, hidden, strike-through, fonts…: not worth a terminal's state.
            }
            index = next
        }
    }

    /// `[5, n]` or `[2, r, g, b]` / `[2, colourspace, r, g, b]`; nil when malformed.
    private static func extendedColour(_ group: [Int]) -> ThemeColor? {
        guard let kind = group.first else { return nil }
        func byte(_ value: Int) -> UInt8? { (0...255).contains(value) ? UInt8(value) : nil }
        if kind == 5, group.count >= 2, let index = byte(group[1]) { return .indexed(index) }
        if kind == 2, group.count >= 4 {
            let rgb = group.suffix(3).map { max($0, 0) }
            if let r = byte(rgb[rgb.startIndex]), let g = byte(rgb[rgb.startIndex + 1]), let b = byte(rgb[rgb.startIndex + 2]) {
                return .rgb(r, g, b)
            }
        }
        return nil
    }

    private static func map(_ colour: ThemeColor, _ depth: ColorDepth) -> TerminalColor? {
        // Without colours the screen's own style should show, not the terminal default.
        depth == .monochrome ? nil : colour.mapped(to: depth)
    }
}
