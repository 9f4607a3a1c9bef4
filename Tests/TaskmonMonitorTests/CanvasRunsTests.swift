import Testing
@testable import TaskmonMonitor

/// What `Terminal` sends: runs of one style, wide characters once, marks after their base.
@Suite struct CanvasRunsTests {
    let red = Style(foreground: .index(1))

    @Test func runsSplitWhereTheStyleChanges() {
        var canvas = Canvas(width: 8, height: 1)
        canvas.put("ab", x: 0, y: 0, style: red)
        canvas.put("中", x: 3, y: 0, style: red)
        let runs = canvas.runs(inRow: 0)
        #expect(runs == [
            Canvas.Run(x: 0, columns: 2, style: red, scalars: [0x61, 0x62]),
            Canvas.Run(x: 2, columns: 1, style: .plain, scalars: [0x20]),
            Canvas.Run(x: 3, columns: 2, style: red, scalars: [0x4E2D]),
            Canvas.Run(x: 5, columns: 3, style: .plain, scalars: [0x20, 0x20, 0x20]),
        ])
    }

    @Test func runsCoverTheWholeRowWithMarksAfterTheirBase() {
        var canvas = Canvas(width: 6, height: 2)
        canvas.put("e\u{301}中x", x: 1, y: 1, style: .plain)
        let runs = canvas.runs(inRow: 1)
        #expect(runs.count == 1)
        #expect(runs[0].scalars == [0x20, 0x65, 0x301, 0x4E2D, 0x78, 0x20])
        #expect(runs.reduce(0) { $0 + $1.columns } == 6)
    }

    @Test func callbackAndArrayFormsAgree() {
        var canvas = Canvas(width: 20, height: 1)
        canvas.put("\u{1B}[1mbold\u{1B}[0m plain 中文 \u{0}", x: 0, y: 0, style: red, options: TextCheck.output)
        var collected: [Canvas.Run] = []
        canvas.forEachRun(inRow: 0) { x, columns, style, scalars in
            collected.append(Canvas.Run(x: x, columns: columns, style: style, scalars: Array(scalars)))
        }
        #expect(collected == canvas.runs(inRow: 0))
        #expect(collected.first?.style == red.adding(.bold))
    }

    @Test func aFullFrameComposesAndBlitsQuickly() {
        // 200×60 with a few labels a row, like the tasks screen; then every run of every row.
        var canvas = Canvas(width: 200, height: 60)
        var durations: [Duration] = []
        for _ in 0..<20 {
            let start = ContinuousClock.now
            canvas.clear()
            for y in 0..<60 {
                var x = 0
                x += canvas.put("\(y + 1000)", x: x, y: y, maxWidth: 8, style: red) + 1
                x += canvas.put("render-frame-\(y)-名前", x: x, y: y, maxWidth: 40, style: .plain) + 1
                x += canvas.put("RUNNING", x: x, y: y, maxWidth: 10, style: red) + 1
                canvas.put("exit 1: something failed somewhere far away", x: x, y: y, maxWidth: 200 - x, style: .plain)
            }
            var scalars = 0
            for y in 0..<60 { canvas.forEachRun(inRow: y) { _, _, _, run in scalars += run.count } }
            durations.append(ContinuousClock.now - start)
            #expect(scalars >= 200 * 60 - 120)
        }
        let median = durations.sorted()[durations.count / 2]
        // Printed, not asserted: timing is the benchmark's (`taskmon-bench monitor`), and a
        // timing floor fails on a loaded machine without anything being wrong.
        print("Canvas: 200×60 frame composed and walked in \(median) (median, debug build)")
    }
}
