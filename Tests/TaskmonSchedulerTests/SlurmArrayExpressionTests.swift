import Testing

import TaskmonScheduler

/// The element ids a scancel names, as Slurm's array expressions (the cancel itself is tested
/// against a real cluster in TaskmonSlurmTests).
@Suite("Slurm array expressions")
struct SlurmArrayExpressionTests {
    @Test("runs of indices become ranges, per array, in the order the arrays came")
    func ranges() {
        let ids = ["200_3", "100_0", "100_1", "100_2", "100_5", "200_4", "100_7", "100_8", "100_1", "200_9"]
        #expect(SlurmBackend.arrayExpressions(ids) == ["200_[3-4,9]", "100_[0-2,5,7-8]"])
    }

    @Test("10,000 pending elements are one expression; a fragmented set is split at the segment limit")
    func sizes() {
        #expect(SlurmBackend.arrayExpressions((0..<10_000).map { "7_\($0)" }) == ["7_[0-9999]"])
        let everyOther = SlurmBackend.arrayExpressions((0..<10).map { "7_\($0 * 2)" }, segments: 4)
        #expect(everyOther == ["7_[0,2,4,6]", "7_[8,10,12,14]", "7_[16,18]"])
    }

    @Test("an id that is not an array element's is passed on as it is")
    func others() {
        #expect(SlurmBackend.arrayExpressions(["12345", "9_1", "x_y"]) == ["9_[1]", "12345", "x_y"])
    }
}
