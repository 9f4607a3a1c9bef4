/// One key press, decoded from ncurses into what the monitor cares about.
package enum Key: Hashable, Sendable {
    /// A printable character (letters, digits, `/`, `?` …).
    case character(Character)
    /// Ctrl plus a letter, lowercase (`ctrl-d` is `.control("d")`).
    case control(Character)
    case up, down, left, right
    case pageUp, pageDown, home, end
    case enter, escape, backspace, tab, backTab, delete
    /// The terminal changed size (also reported through SIGWINCH).
    case resize
    /// Anything else (a function key we do not use).
    case other(Int32)
}

extension Key {
    /// Decodes a character read by `wget_wch` (not a function-key code).
    package init(scalarValue value: UInt32) {
        switch value {
        case 0x0A, 0x0D: self = .enter
        case 0x1B: self = .escape
        case 0x09: self = .tab
        case 0x08, 0x7F: self = .backspace
        case 0x01...0x1A: self = .control(Character(Unicode.Scalar(value + 0x60)!))
        default:
            if let scalar = Unicode.Scalar(value) {
                self = .character(Character(scalar))
            } else {
                self = .other(Int32(bitPattern: value))
            }
        }
    }
}
