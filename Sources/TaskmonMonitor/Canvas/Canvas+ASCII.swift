extension Canvas {
    /// Replaces every character a plain ASCII terminal (the Linux console, a non-UTF-8 locale)
    /// cannot draw: the monitor's own marks by their ASCII look-alikes, anything else by `?`
    /// (both halves of a wide character, so columns stay where they are). Combining marks go.
    package mutating func fold(toASCII fallbacks: [Unicode.Scalar: Unicode.Scalar] = Canvas.asciiFallbacks) {
        guard cells.contains(where: { !$0.scalar.isASCII || $0.markCount > 0 }) else { return }
        for index in cells.indices {
            var cell = cells[index]
            guard !cell.scalar.isASCII || cell.markCount > 0 || cell.kind != .narrow else { continue }
            switch cell.kind {
            case .narrow:
                if !cell.scalar.isASCII { cell.scalar = fallbacks[cell.scalar] ?? "?" }
            case .wide, .continuation:
                cell.scalar = "?"
                cell.kind = .narrow
            }
            cell.markCount = 0
            cells[index] = cell
        }
        marks.removeAll(keepingCapacity: true)
    }

    /// ASCII look-alikes for the few non-ASCII characters the screens themselves draw.
    package static let asciiFallbacks: [Unicode.Scalar: Unicode.Scalar] = [
        "·": "|", "›": ">", "…": "~", "×": "x", "–": "-", "—": "-",
        "↑": "^", "↓": "v", "←": "<", "→": ">", "✓": "+", "█": "#", "\u{FFFD}": "?",
    ]
}
