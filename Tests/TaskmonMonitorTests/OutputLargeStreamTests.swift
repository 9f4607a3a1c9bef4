import Foundation
import Testing
@testable import TaskmonMonitor

/// Streams far bigger than memory, from files: a sparse file is any size for free (and reads as
/// zeros: one line without a newline).
@Suite struct OutputLargeStreamTests {
    private static let gibibyte: Int64 = 1 << 30

    private func sparseFile(size: Int64, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("sparse").path
        let fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(ftruncate(fd, off_t(size)) == 0)
        return path
    }

    @Test func jumpingToTheEndOfOneGibibyteReadsOnlyItsTail() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = CountingOutputSource(try FileOutputSource(path: sparseFile(size: Self.gibibyte, in: directory)))
        let document = OutputDocument(source: source)
        let layout = OutputLayout.unwrapped(height: 60)
        document.scroll(.end, in: layout)
        let viewport = document.viewport(layout)
        #expect(document.size == Self.gibibyte)
        #expect(document.isComplete)
        #expect(viewport.lines.count == 60)
        #expect(viewport.reachesEnd)
        #expect(viewport.lines.allSatisfy { $0.isContinuation && $0.bytes.allSatisfy { $0 == 0 } })
        // 60 pieces of at most 64 KiB each, and some reading ahead; nowhere near the stream.
        #expect(source.bytesRead <= 6 << 20)
        #expect(document.cachedBytes <= document.configuration.cacheBytes)
        #expect(document.statusText == "1.0 GiB · 100% · following")

        source.resetCounts()
        document.scroll(.pageUp, in: layout)
        document.scroll(.halfPageUp, in: layout)
        _ = document.viewport(layout)
        #expect(source.bytesRead <= 4 << 20)
    }

    @Test func wrappedAtTheEndOfOneGibibyte() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = CountingOutputSource(try FileOutputSource(path: sparseFile(size: Self.gibibyte, in: directory)))
        let document = OutputDocument(source: source, following: true)
        let viewport = document.viewport(wrapped(width: 200, height: 60))
        #expect(!viewport.lines.isEmpty)
        #expect(viewport.reachesEnd)
        #expect(source.bytesRead <= 1 << 20)
    }

    @Test func realLinesAtTheEndOfAFile() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("lines").path
        let text = (0..<200_000).map { "line \($0) of the output\n" }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let source = CountingOutputSource(try FileOutputSource(path: path))
        let document = OutputDocument(source: source, following: true)
        let layout = OutputLayout.unwrapped(height: 4)
        #expect(document.viewport(layout).texts == (199_996..<200_000).map { "line \($0) of the output" })
        #expect(source.bytesRead <= 512 << 10)
        #expect(document.search("LINE 150000 ", backward: true, in: layout) == .found(wrapped: false))
        #expect(document.viewport(layout).texts.first == "line 150000 of the output")
    }

    @Test func theBenchmarkReportsItsFigures() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try FileOutputSource(path: sparseFile(size: Self.gibibyte, in: directory))
        let measurement = OutputBenchmark.measureOpenAndJumpToEnd(source, width: 200, height: 60)
        #expect(measurement.streamSize == Self.gibibyte)
        #expect(measurement.linesShown == 60)
        #expect(measurement.bytesRead > 0 && measurement.bytesRead < 8 << 20)
        #expect(measurement.reads > 0)
        #expect(measurement.elapsed > .zero)
    }
}
