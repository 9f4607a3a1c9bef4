extension Canvas: Equatable {
    /// Canvases are equal when they look the same, cell by cell (marks compared by value,
    /// wherever they are stored).
    package static func == (lhs: Canvas, rhs: Canvas) -> Bool {
        guard lhs.width == rhs.width, lhs.height == rhs.height else { return false }
        for (left, right) in zip(lhs.cells, rhs.cells) {
            guard left.scalar == right.scalar, left.kind == right.kind, left.style == right.style,
                  lhs.marks(of: left).elementsEqual(rhs.marks(of: right)) else { return false }
        }
        return true
    }
}

extension Canvas: CustomDebugStringConvertible {
    /// The text of row `y`: wide characters once, their right halves skipped. For tests.
    package func text(ofRow y: Int) -> String {
        guard y >= 0 && y < height else { return "" }
        var scalars = String.UnicodeScalarView()
        for x in 0..<width {
            let cell = cells[index(x, y)]
            guard cell.kind != .continuation else { continue }
            scalars.append(cell.scalar)
            scalars.append(contentsOf: marks(of: cell))
        }
        return String(scalars)
    }

    /// The grid between bars, one row a line, so a failing comparison shows both frames.
    package var debugDescription: String {
        var lines = ["Canvas \(width)×\(height)"]
        for y in 0..<height { lines.append("|" + text(ofRow: y) + "|") }
        return lines.joined(separator: "\n")
    }
}
