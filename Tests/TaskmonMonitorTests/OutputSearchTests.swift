import Testing
@testable import TaskmonMonitor

@Suite struct OutputSearchTests {
    private let layout = OutputLayout.unwrapped(height: 3)

    private func document(_ text: String, configuration: OutputDocument.Configuration = tinyConfiguration(lineCap: 64, blockSize: 16)) -> OutputDocument {
        OutputDocument(source: MemoryOutputSource(text, complete: true), configuration: configuration)
    }

    private func lines(_ count: Int, marks: [Int: String]) -> String {
        (0..<count).map { "\(marks[$0] ?? "line \($0)")\n" }.joined()
    }

    @Test func findsForwardIgnoringCaseAndShowsTheMatch() {
        let document = document(lines(40, marks: [25: "an ERROR here"]))
        #expect(document.search("error", in: layout) == .found(wrapped: false))
        let viewport = document.viewport(layout)
        #expect(viewport.texts.first == "an ERROR here")
        #expect(viewport.lines[0].matches == [3..<8])
        #expect(viewport.lines[0].currentMatch == 0)
        #expect(document.searchMatch.map { $0.count } == 5)
    }

    @Test func nextAndPreviousStepThroughMatchesAndWrap() {
        let document = document(lines(60, marks: [10: "x hit", 30: "hit", 50: "hit hit"]))
        document.search("hit", in: layout)
        #expect(document.viewport(layout).texts.first == "x hit")
        document.searchNext(in: layout)
        #expect(document.viewport(layout).texts.first == "hit")
        document.searchNext(in: layout)
        #expect(document.viewport(layout).texts.first == "hit hit")
        #expect(document.viewport(layout).lines[0].currentMatch == 0)
        // The second match on the same line is on screen already: the view stays.
        #expect(document.searchNext(in: layout) == .found(wrapped: false))
        #expect(document.viewport(layout).texts.first == "hit hit")
        #expect(document.viewport(layout).lines[0].currentMatch == 1)
        #expect(document.searchNext(in: layout) == .found(wrapped: true))
        #expect(document.viewport(layout).texts.first == "x hit")
        #expect(document.searchPrevious(in: layout) == .found(wrapped: true))
        #expect(document.viewport(layout).lines[0].currentMatch == 1)
        #expect(document.searchPrevious(in: layout) == .found(wrapped: false))
        #expect(document.viewport(layout).lines[0].currentMatch == 0)
    }

    @Test func backwardSearchLooksAboveTheTopFirst() {
        let document = document(lines(60, marks: [5: "mark five", 40: "mark forty"]))
        document.scroll(.down(20), in: layout)
        #expect(document.search("MARK", backward: true, in: layout) == .found(wrapped: false))
        #expect(document.viewport(layout).texts.first == "mark five")
        #expect(document.searchNext(in: layout) == .found(wrapped: true))
        #expect(document.viewport(layout).texts.first == "mark forty")
    }

    @Test func findsMatchesAcrossReadChunksAndBlocks() {
        // Search reads 32 bytes at a time here; put the match across every possible boundary.
        for shift in 0..<40 {
            let text = String(repeating: "-", count: shift) + "\n" + String(repeating: ".", count: 30) + "needle" + "\n"
            let document = document(text)
            #expect(document.search("NEEDLE", in: layout) == .found(wrapped: false), "shift \(shift)")
            #expect(document.searchMatch == Int64(shift + 31)..<Int64(shift + 37), "shift \(shift)")
        }
    }

    @Test func aMatchAcrossACutShowsInBothPieces() {
        // Cap 8: the line of 20 bytes is cut at 8 and 16; "abcd" spans the cut at 8.
        let text = "012345abcd0123456789\n"
        let document = OutputDocument(source: MemoryOutputSource(text, complete: true), configuration: tinyConfiguration(lineCap: 8, blockSize: 16))
        #expect(document.search("abcd", in: layout) == .found(wrapped: false))
        let viewport = document.viewport(layout)
        #expect(viewport.texts == ["012345ab", "cd012345", "6789"])
        #expect(viewport.lines[0].matches == [6..<8])
        #expect(viewport.lines[1].matches == [0..<2])
    }

    @Test func noMatchSaysSoAndLeavesTheViewAlone() {
        let document = document(lines(30, marks: [:]))
        document.scroll(.down(4), in: layout)
        #expect(document.search("absent", in: layout) == .notFound)
        #expect(document.searchStatus.text(query: document.searchQuery) == "not found: absent")
        #expect(document.viewport(layout).texts.first == "line 4")
        #expect(document.viewport(layout).lines.allSatisfy { $0.matches.isEmpty })
    }

    @Test func anEmptyQueryClearsTheSearch() {
        let document = document(lines(5, marks: [1: "hit"]))
        document.search("hit", in: layout)
        #expect(document.search("", in: layout) == .none)
        #expect(document.viewport(layout).lines.allSatisfy { $0.matches.isEmpty })
        #expect(document.searchNext(in: layout) == .none)
    }

    @Test func aBigStreamIsSearchedASliceAtATime() {
        var configuration = tinyConfiguration(lineCap: 64, blockSize: 16)
        configuration.searchBytesPerStep = 100
        let document = document(lines(200, marks: [150: "deep"]), configuration: configuration)
        var status = document.search("deep", in: layout)
        var calls = 1
        while case .searching = status {
            status = document.continueSearch(in: layout)
            calls += 1
        }
        #expect(calls > 5)
        #expect(status == .found(wrapped: false))
        #expect(document.viewport(layout).texts.first == "deep")
    }

    @Test func searchingStopsFollowingOnlyWhenItMovesTheView() {
        let source = MemoryOutputSource(lines(30, marks: [2: "early", 28: "late"]))
        let document = OutputDocument(source: source, following: true)
        _ = document.viewport(layout)
        #expect(document.search("late", in: layout) == .found(wrapped: false))
        #expect(document.isFollowing)
        document.search("early", in: layout)
        #expect(!document.isFollowing)
        #expect(document.viewport(layout).texts.first == "early")
    }

    @Test func wrappedLongLinesScrollToTheMatchRow() {
        let long = String(repeating: "z", count: 95) + "target"
        let document = document("first\n" + long + "\nlast\n")
        let layout = wrapped(width: 10, height: 2)
        document.search("target", in: layout)
        let viewport = document.viewport(layout)
        #expect(viewport.texts.first == long)
        // The match ends on row 10 of the line (bytes 95..<101).
        #expect(viewport.firstLineSkippedRows == 10)
        #expect(viewport.lines[0].matches == [95..<101])
    }
}
