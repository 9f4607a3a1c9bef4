import Foundation

/// What opening an output stream at its end cost.
package struct OutputOpenMeasurement: Sendable, Equatable {
    /// The stream's size.
    package var streamSize: Int64
    /// From creating the document to having the last screenful of lines.
    package var elapsed: Duration
    /// Bytes read from the source.
    package var bytesRead: Int64
    /// Calls made to the source.
    package var reads: Int
    /// Resident memory after minus before (the document still alive); 0 where unknown.
    package var memoryGrowthBytes: Int64
    /// Lines in the final viewport.
    package var linesShown: Int
}

/// The figure the issue asks for: "open the Output tab of a task with 1 GiB of stdout and jump
/// to its end" (under 100 ms, memory growth under 50 MB). `taskmon-bench` calls it.
package enum OutputBenchmark {
    /// Opens a document on `source`, jumps to the end (`G`) and builds the viewport a
    /// `width` × `height` pane draws, with wrap on or off; times it and measures memory.
    package static func measureOpenAndJumpToEnd(
        _ source: some OutputSource, width: Int = 200, height: Int = 60, wrap: Bool = false
    ) -> OutputOpenMeasurement {
        let counting = CountingOutputSource(source)
        let columns = max(1, width)
        // Stands in for the renderer's measure: one column per byte.
        let layout = wrap
            ? OutputLayout(height: height) { ($0.count + columns - 1) / columns }
            : OutputLayout.unwrapped(height: height)
        let memoryBefore = residentBytes()
        let clock = ContinuousClock()
        let start = clock.now
        let document = OutputDocument(source: counting)
        document.scroll(.end, in: layout)
        let viewport = document.viewport(layout)
        let elapsed = clock.now - start
        let memoryAfter = residentBytes()
        return withExtendedLifetime(document) {
            OutputOpenMeasurement(
                streamSize: document.size, elapsed: elapsed, bytesRead: counting.bytesRead,
                reads: counting.reads, memoryGrowthBytes: max(0, memoryAfter - memoryBefore),
                linesShown: viewport.lines.count)
        }
    }

    /// Resident set size from /proc (Linux); 0 elsewhere.
    static func residentBytes() -> Int64 {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return 0 }
        return pages * Int64(sysconf(Int32(_SC_PAGESIZE)))
    }
}
