import Testing
@testable import TaskmonMonitor

@Suite struct OutputSegmentationTests {
    private func lines(_ text: String, configuration: OutputDocument.Configuration = .init(), height: Int = 100) -> [String] {
        OutputDocument(source: MemoryOutputSource(text), configuration: configuration)
            .viewport(.unwrapped(height: height)).texts
    }

    @Test func splitsAtNewlines() {
        #expect(lines("one\ntwo\n\nfour\n") == ["one", "two", "", "four"])
    }

    @Test func aLastLineWithoutNewlineIsALine() {
        #expect(lines("one\ntwo") == ["one", "two"])
    }

    @Test func anEmptyStreamHasNoLines() {
        let document = OutputDocument(source: MemoryOutputSource("", complete: true))
        let viewport = document.viewport(.unwrapped(height: 10))
        #expect(viewport.lines.isEmpty)
        #expect(viewport.reachesEnd)
        #expect(document.size == 0)
        #expect(document.isComplete)
        #expect(document.statusText == "0 B")
    }

    @Test func crlfLosesItsCarriageReturnButOtherCarriageReturnsStay() {
        #expect(lines("a\r\nb\rc\r\n\r\nprogress 10%\rprogress 20%\n") == ["a", "b\rc", "", "progress 10%\rprogress 20%"])
    }

    @Test func linesKeepTheirOffsets() {
        let viewport = OutputDocument(source: MemoryOutputSource("ab\r\ncd\nef")).viewport(.unwrapped(height: 10))
        #expect(viewport.lines.map(\.offset) == [0, 4, 7])
    }

    @Test func aLongLineComesInPiecesMarkedAsContinued() {
        let long = String(repeating: "x", count: 20) // cap 8: pieces at 8 and 16
        let viewport = OutputDocument(source: MemoryOutputSource("ab\n" + long + "\nend"), configuration: tinyConfiguration())
            .viewport(.unwrapped(height: 10))
        // The line starts at 3: the first cut is the first multiple of 8 at least 8 further on.
        #expect(viewport.texts == ["ab", String(repeating: "x", count: 13), String(repeating: "x", count: 7), "end"])
        #expect(viewport.lines.map(\.isContinuation) == [false, false, true, false])
        #expect(viewport.lines.map(\.continues) == [false, true, false, false])
    }

    @Test func aLineEndingAtACutIsNotFollowedByAnEmptyPiece() {
        let viewport = OutputDocument(source: MemoryOutputSource(String(repeating: "y", count: 16) + "\nz"),
                                      configuration: tinyConfiguration())
            .viewport(.unwrapped(height: 10))
        #expect(viewport.texts == ["yyyyyyyy", "yyyyyyyy", "z"])
        #expect(viewport.lines.map(\.continues) == [true, false, false])
    }

    @Test func aHugeLineWithoutNewlineIsCheapToOpenAtItsEnd() throws {
        // 10 MB and no newline: showing its end reads a few pieces, not the line.
        let source = CountingOutputSource(MemoryOutputSource([UInt8](repeating: UInt8(ascii: "q"), count: 10_000_000)))
        let document = OutputDocument(source: source, following: true)
        let viewport = document.viewport(.unwrapped(height: 5))
        #expect(viewport.lines.count == 5)
        #expect(viewport.lines.allSatisfy { $0.bytes.count <= 2 * document.configuration.lineCap })
        let last = try #require(viewport.lines.last)
        #expect(last.offset + Int64(last.bytes.count) == 10_000_000)
        #expect(viewport.reachesEnd)
        #expect(source.bytesRead < 1 << 20)
    }

    @Test(arguments: [(1, 1), (3, 4), (8, 16), (8, 5), (16, 64)])
    func theSegmenterAgreesWithTheRuleEverywhere(lineCap: Int, blockSize: Int) throws {
        var generator = SeededGenerator(state: UInt64(lineCap * 1000 + blockSize))
        for round in 0..<6 {
            var bytes = randomStream(&generator, length: 300)
            if round == 5 { bytes = [UInt8](repeating: UInt8(ascii: "n"), count: 100) + [10, 10] + bytes }
            let document = OutputDocument(source: MemoryOutputSource(bytes), configuration: tinyConfiguration(lineCap: lineCap, blockSize: blockSize))
            let walked = try segmentsByWalking(document)
            let reference = referenceSegments(bytes, cap: lineCap)
            #expect(walked.map { Int($0.start) } == reference.map(\.start))
            #expect(walked.map { Array(bytes[Int($0.start)..<Int($0.contentEnd)]) } == reference.map(\.content))
            #expect(walked.map(\.isContinuation) == reference.map(\.isContinuation))
            #expect(walked.map(\.continues) == reference.map(\.continues))
            // Looking back from any byte finds the segment that holds it.
            for (index, segment) in walked.enumerated() {
                for offset in segment.start..<segment.next {
                    let found = try document.segmenter.start(containing: offset)
                    #expect(found == segment.start, "offset \(offset) in segment \(index)")
                }
            }
        }
    }

    @Test func growingNeverMovesAnEarlierBoundary() throws {
        var generator = SeededGenerator(state: 7)
        let bytes = randomStream(&generator, length: 400)
        let source = MemoryOutputSource()
        let document = OutputDocument(source: source, configuration: tinyConfiguration())
        var previous: [OutputSegment] = []
        for end in stride(from: 0, through: bytes.count, by: 37) {
            source.restart(with: Array(bytes[..<end]))
            document.reset()
            let segments = try segmentsByWalking(document)
            // Every segment before the last (which may still grow) is still there.
            #expect(Array(segments.prefix(max(0, previous.count - 1))) == Array(previous.dropLast()))
            previous = segments
        }
    }
}
