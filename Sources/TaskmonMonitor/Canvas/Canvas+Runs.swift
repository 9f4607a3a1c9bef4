extension Canvas {
    /// Consecutive cells of one row in the same style: what `Terminal` sends in one call.
    package struct Run: Hashable, Sendable {
        /// The column of the first cell.
        package var x: Int
        /// Columns covered (a wide character counts 2).
        package var columns: Int
        /// The style of every cell in the run.
        package var style: Style
        /// The scalars to send, in order: each wide character once, combining marks right
        /// after their base (ncursesw puts them in the same cell).
        package var scalars: [UInt32]
    }

    /// The runs of row `y`, left to right; together they cover the whole row.
    package func runs(inRow y: Int) -> [Run] {
        var runs: [Run] = []
        forEachRun(inRow: y) { x, columns, style, scalars in
            runs.append(Run(x: x, columns: columns, style: style, scalars: Array(scalars)))
        }
        return runs
    }

    /// The runs of row `y` without allocating per run: `body` gets the run's first column,
    /// its columns, its style and its scalars (valid only during the call; on Linux a
    /// `wchar_t` is 32 bits, so they can be rebound for `mvwaddnwstr`).
    package func forEachRun(inRow y: Int,
                           _ body: (_ x: Int, _ columns: Int, _ style: Style, _ scalars: UnsafeBufferPointer<UInt32>) -> Void) {
        guard y >= 0 && y < height && width > 0 else { return }
        // One buffer for the row, big enough for every scalar: no reallocation while filling it.
        let rowStart = index(0, y)
        let capacity = width * (1 + LineBuilder.marksPerCell)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { buffer in
            cells.withUnsafeBufferPointer { cells in
                var count = 0
                var runStart = 0
                var runStyle = cells[rowStart].style
                for x in 0..<width {
                    let cell = cells[rowStart + x]
                    if cell.kind == .continuation { continue }  // drawn by its wide base
                    if cell.style != runStyle {
                        body(runStart, x - runStart, runStyle, UnsafeBufferPointer(rebasing: buffer[0..<count]))
                        count = 0
                        runStart = x
                        runStyle = cell.style
                    }
                    buffer[count] = cell.scalar.value
                    count += 1
                    if cell.markCount > 0 {
                        for mark in marks(of: cell) where count < capacity {
                            buffer[count] = mark.value
                            count += 1
                        }
                    }
                }
                body(runStart, width - runStart, runStyle, UnsafeBufferPointer(rebasing: buffer[0..<count]))
            }
        }
    }
}
