import Testing
@testable import TaskmonMonitor

@Suite struct OutputFollowTests {
    private let layout = OutputLayout.unwrapped(height: 3)

    private func numbered(_ range: Range<Int>) -> String {
        range.map { "\($0)\n" }.joined()
    }

    @Test func followingKeepsTheEndInViewAsTheStreamGrows() {
        let source = MemoryOutputSource(numbered(0..<10))
        let document = OutputDocument(source: source, following: true)
        #expect(document.viewport(layout).texts == ["7", "8", "9"])
        source.append(numbered(10..<12))
        #expect(document.refresh())
        #expect(document.viewport(layout).texts == ["9", "10", "11"])
        #expect(!document.refresh())
    }

    @Test func theLastLineGrowsUntilItsNewlineArrives() {
        let source = MemoryOutputSource("a\nprogress")
        let document = OutputDocument(source: source, following: true)
        #expect(document.viewport(layout).texts == ["a", "progress"])
        source.append(" 50%")
        document.refresh()
        #expect(document.viewport(layout).texts == ["a", "progress 50%"])
        source.append("\ndone\n")
        document.refresh()
        #expect(document.viewport(layout).texts == ["a", "progress 50%", "done"])
    }

    @Test func scrollingUpStopsFollowingAndTheViewStaysPut() {
        let source = MemoryOutputSource(numbered(0..<10))
        let document = OutputDocument(source: source, following: true)
        _ = document.viewport(layout)
        document.scroll(.up(1), in: layout)
        #expect(!document.isFollowing)
        #expect(document.viewport(layout).texts == ["6", "7", "8"])
        source.append(numbered(10..<20))
        document.refresh()
        #expect(document.viewport(layout).texts == ["6", "7", "8"])
        #expect(document.size == Int64(numbered(0..<20).utf8.count))
    }

    @Test func scrollingUpLeavesTheEndAsItIsNotAsItWasDrawn() {
        let source = MemoryOutputSource(numbered(0..<10))
        let document = OutputDocument(source: source, following: true)
        _ = document.viewport(layout)
        source.append(numbered(10..<20))
        document.refresh()
        document.scroll(.up(1), in: layout)
        #expect(document.viewport(layout).texts == ["16", "17", "18"])
    }

    @Test func bigGToFollowAgainAndFToToggle() {
        let source = MemoryOutputSource(numbered(0..<10))
        let document = OutputDocument(source: source)
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
        document.scroll(.end, in: layout)
        #expect(document.isFollowing)
        source.append(numbered(10..<12))
        document.refresh()
        #expect(document.viewport(layout).texts == ["9", "10", "11"])
        document.toggleFollowing()
        #expect(!document.isFollowing)
        source.append(numbered(12..<14))
        document.refresh()
        // Off: the view stays where following left it.
        #expect(document.viewport(layout).texts == ["9", "10", "11"])
        document.toggleFollowing()
        #expect(document.viewport(layout).texts == ["11", "12", "13"])
    }

    @Test func scrollingDownOrToTheEndByHandDoesNotStartFollowing() {
        let source = MemoryOutputSource(numbered(0..<5))
        let document = OutputDocument(source: source)
        document.scroll(.pageDown, in: layout)
        document.scroll(.pageDown, in: layout)
        #expect(!document.isFollowing)
        #expect(document.viewport(layout).texts == ["2", "3", "4"])
        source.append(numbered(5..<7))
        document.refresh()
        #expect(document.viewport(layout).texts == ["2", "3", "4"])
    }

    @Test func topStopsFollowing() {
        let document = OutputDocument(source: MemoryOutputSource(numbered(0..<10)), following: true)
        document.scroll(.top, in: layout)
        #expect(!document.isFollowing)
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
    }

    @Test func completionIsKnownOnceAReadReachesTheEnd() {
        let source = MemoryOutputSource(numbered(0..<3))
        let document = OutputDocument(source: source, following: true)
        _ = document.viewport(layout)
        #expect(!document.isComplete)
        source.setComplete(true)
        #expect(document.refresh())
        #expect(document.isComplete)
    }
}
