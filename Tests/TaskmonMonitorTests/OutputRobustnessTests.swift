import Testing
@testable import TaskmonMonitor

@Suite struct OutputRobustnessTests {
    private let layout = OutputLayout.unwrapped(height: 3)

    private func numbered(_ range: Range<Int>, _ prefix: String = "") -> String {
        range.map { "\(prefix)\($0)\n" }.joined()
    }

    @Test func aShrinkingStreamResetsTheDocument() {
        let source = MemoryOutputSource(numbered(0..<50))
        let document = OutputDocument(source: source)
        document.scroll(.down(20), in: layout)
        document.search("4", in: layout)
        _ = document.viewport(layout)
        // A retry: the output starts over, shorter.
        source.restart(with: Array(numbered(0..<2, "retry ").utf8))
        #expect(document.refresh())
        #expect(document.size == Int64(numbered(0..<2, "retry ").utf8.count))
        #expect(document.searchMatch == nil)
        #expect(document.viewport(layout).texts == ["retry 0", "retry 1"])
    }

    @Test func aFinishedStreamThatChangesIsANewAttempt() {
        let source = MemoryOutputSource(numbered(0..<5), complete: true)
        let document = OutputDocument(source: source, following: true)
        #expect(document.viewport(layout).texts == ["2", "3", "4"])
        #expect(document.isComplete)
        // The new attempt has already written more than the old one did.
        source.restart(with: Array(numbered(0..<9, "new ").utf8))
        document.refresh()
        #expect(!document.isComplete)
        #expect(document.isFollowing)
        #expect(document.viewport(layout).texts == ["new 6", "new 7", "new 8"])
    }

    @Test func aFailingSourceKeepsWhatWasShownAndSaysWhy() {
        let source = MemoryOutputSource(numbered(0..<10))
        let document = OutputDocument(source: source)
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
        source.setFailure("lost the connection to the scheduler")
        document.refresh()
        #expect(document.errorMessage == "lost the connection to the scheduler")
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
        document.scroll(.end, in: layout)
        #expect(!document.viewport(layout).lines.isEmpty)
        #expect(document.search("7", in: layout) != .found(wrapped: false))
        source.setFailure(nil)
        document.refresh()
        #expect(document.errorMessage == nil)
        #expect(document.viewport(layout).texts == ["7", "8", "9"])
    }

    @Test func aSourceThatFailsFromTheStartShowsNothingAndSaysWhy() {
        let source = MemoryOutputSource(numbered(0..<10))
        source.setFailure("no scheduler")
        let document = OutputDocument(source: source, following: true)
        #expect(document.viewport(layout).lines.isEmpty)
        document.scroll(.pageUp, in: layout)
        document.scroll(.pageDown, in: layout)
        #expect(document.errorMessage == "no scheduler")
        #expect(document.size == 0)
    }

    @Test func evictedBlocksAreReadAgain() {
        // A cache of 16 blocks of 16 bytes over a stream of about 2.4 KB.
        let text = numbered(0..<500)
        let source = CountingOutputSource(MemoryOutputSource(text, complete: true))
        let document = OutputDocument(source: source, configuration: tinyConfiguration())
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
        document.scroll(.end, in: layout)
        #expect(document.viewport(layout).texts == ["497", "498", "499"])
        document.scroll(.top, in: layout)
        #expect(document.viewport(layout).texts == ["0", "1", "2"])
        #expect(document.cachedBytes <= 16 * 16)
    }

    @Test func theFileSourceReadsLikeTheScheduler() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out").path
        try Data("alpha\nbeta\n".utf8).write(to: URL(fileURLWithPath: path))
        let source = try FileOutputSource(path: path, complete: false)
        let chunk = try source.read(offset: 6, length: 100)
        #expect(chunk.data == Data("beta\n".utf8))
        #expect(chunk.size == 11)
        #expect(!chunk.complete)
        #expect(try source.read(offset: 50, length: 10).data.isEmpty)
        #expect(throws: FileOutputSource.Failure.self) { try FileOutputSource(path: directory.appendingPathComponent("missing").path) }
    }
}

import Foundation

@Suite struct OutputRobustnessSearchTests {
    @Test func aSearchThatCannotReadSaysSoAndStops() {
        let source = MemoryOutputSource((0..<100).map { "\($0)\n" }.joined())
        let document = OutputDocument(source: source, configuration: tinyConfiguration())
        _ = document.viewport(.unwrapped(height: 3))
        source.setFailure("gone")
        #expect(document.search("99", in: .unwrapped(height: 3)) == .failed)
        #expect(document.errorMessage == "gone")
        #expect(document.continueSearch(in: .unwrapped(height: 3)) == .failed)
        source.setFailure(nil)
        #expect(document.searchNext(in: .unwrapped(height: 3)) == .found(wrapped: false))
    }

    @Test func refreshSaysWhetherAnythingChanged() {
        let source = MemoryOutputSource("a\n")
        let document = OutputDocument(source: source)
        #expect(document.refresh())
        #expect(!document.refresh())
        source.setFailure("gone")
        #expect(document.refresh())
        #expect(!document.refresh())
        source.setFailure(nil)
        #expect(document.refresh())
    }

    @Test func absurdRowCountsDoNotOverflow() {
        let document = OutputDocument(source: MemoryOutputSource("a\nb\nc\n", complete: true))
        let layout = OutputLayout(height: 3) { _ in .max }
        document.scroll(.down(5), in: layout)
        document.scroll(.end, in: layout)
        document.scroll(.pageUp, in: layout)
        #expect(document.viewport(layout).lines.count == 1)
    }
}
