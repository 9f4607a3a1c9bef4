/// The cell grid screens draw into and `Terminal` blits to ncurses each frame.
///
/// Every cell holds one displayable grapheme (a scalar plus up to four combining marks) or
/// the right half of the wide one to its left, and a `Style`. Drawing is always clipped:
/// nothing is written outside the grid, whatever the coordinates, and a wide character
/// never ends up half drawn (it becomes a blank instead).
package struct Canvas: Sendable {
    /// Cell storage: one scalar inline, marks (rare) in a side table, so a frame of 200×60
    /// cells costs one array and no `String`s.
    struct StoredCell: Sendable {
        enum Kind: UInt8, Sendable {
            case narrow, wide
            /// The right half of the wide character to the left.
            case continuation
        }
        var scalar: Unicode.Scalar
        var kind: Kind
        var markCount: UInt8
        var markStart: Int32
        var style: Style

        static func blank(_ style: Style) -> StoredCell {
            StoredCell(scalar: " ", kind: .narrow, markCount: 0, markStart: 0, style: style)
        }
    }

    /// Columns.
    package private(set) var width: Int
    /// Rows.
    package private(set) var height: Int
    var cells: [StoredCell]
    /// Combining marks of the cells that have any; emptied by `clear` and `resize`.
    var marks: [Unicode.Scalar] = []

    /// A blank canvas (spaces, plain style). Negative sizes count as 0.
    package init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = Array(repeating: .blank(.plain), count: self.width * self.height)
    }

    /// Changes the size; the content is discarded (screens draw every frame anew).
    package mutating func resize(width: Int, height: Int) {
        self = Canvas(width: width, height: height)
    }

    /// Every cell blank, in `style`.
    package mutating func clear(style: Style = .plain) {
        marks.removeAll(keepingCapacity: true)
        for index in cells.indices { cells[index] = .blank(style) }
    }

    /// Blanks `width` cells of `row` from column `x`, in `style` (clipped to the grid).
    package mutating func fill(row y: Int, from x: Int = 0, width: Int, style: Style) {
        guard y >= 0 && y < height else { return }
        let start = max(x, 0)
        let end = min(x.saturatingAdd(max(width, 0)), self.width)
        guard start < end else { return }
        for column in start..<end { write(.blank(style), x: column, y: y) }
    }

    /// Changes the style of `width` cells of `row` from column `x`, keeping their text: for
    /// search matches and highlights laid over what was drawn. Both halves of a wide
    /// character change together.
    package mutating func restyle(row y: Int, from x: Int, width: Int, _ transform: (Style) -> Style) {
        guard y >= 0 && y < height else { return }
        var start = max(x, 0)
        var end = min(x.saturatingAdd(max(width, 0)), self.width)
        guard start < end else { return }
        if cells[index(start, y)].kind == .continuation && start > 0 { start -= 1 }
        if end < self.width && cells[index(end, y)].kind == .continuation { end += 1 }
        for column in start..<end {
            let cellIndex = index(column, y)
            cells[cellIndex].style = transform(cells[cellIndex].style)
        }
    }

    /// The cell at column `x`, row `y`; a blank plain cell outside the grid.
    package subscript(x: Int, y: Int) -> Cell {
        guard contains(x: x, y: y) else { return Cell(text: " ", style: .plain, width: 1) }
        let cell = cells[index(x, y)]
        if cell.kind == .continuation { return Cell(text: "", style: cell.style, width: 0) }
        var scalars = String.UnicodeScalarView()
        scalars.append(cell.scalar)
        scalars.append(contentsOf: marks(of: cell))
        return Cell(text: String(scalars), style: cell.style, width: cell.kind == .wide ? 2 : 1)
    }

    /// The style at column `x`, row `y` (plain outside the grid).
    package func style(atX x: Int, y: Int) -> Style {
        contains(x: x, y: y) ? cells[index(x, y)].style : .plain
    }

    // MARK: - Internals

    @inline(__always) func index(_ x: Int, _ y: Int) -> Int { y * width + x }

    func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    func marks(of cell: StoredCell) -> ArraySlice<Unicode.Scalar> {
        let start = Int(cell.markStart)
        return marks[start..<(start + Int(cell.markCount))]
    }

    /// Writes one cell (and, for a wide one, its continuation at `x + 1`; the caller has
    /// checked that it fits). Whatever half of a wide character this covers, the other half
    /// is blanked, as a terminal does.
    mutating func write(_ cell: StoredCell, x: Int, y: Int) {
        let cellIndex = index(x, y)
        if cells[cellIndex].kind == .continuation && x > 0 {
            cells[cellIndex - 1] = .blank(cells[cellIndex - 1].style)
        }
        let span = cell.kind == .wide ? 2 : 1
        if x + span < width && cells[cellIndex + span].kind == .continuation {
            cells[cellIndex + span] = .blank(cells[cellIndex + span].style)
        }
        cells[cellIndex] = cell
        if span == 2 {
            cells[cellIndex + 1] = StoredCell(scalar: " ", kind: .continuation, markCount: 0, markStart: 0, style: cell.style)
        }
    }
}

/// One cell as tests and screens read it back.
package struct Cell: Hashable, Sendable {
    /// The grapheme drawn there (base and marks); empty for the right half of a wide character.
    package var text: String
    /// How it is drawn (for the right half of a wide character: the same as its left half).
    package var style: Style
    /// 1, 2 for a wide character, 0 for the right half of one.
    package var width: Int

    /// The right half of a wide character: nothing of its own to draw.
    package var isContinuation: Bool { width == 0 }
}

extension Int {
    /// `self + other`, held at `Int.max`/`Int.min` instead of trapping: coordinates come
    /// from layout arithmetic and may be anything.
    func saturatingAdd(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
