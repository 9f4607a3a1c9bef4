import Foundation
import Testing
import TaskmonKit

@Suite("Dates on the wire")
struct WireDateTests {
    @Test("the fast formatter writes what Foundation's ISO 8601 style writes, millisecond boundaries included")
    func sameAsFoundation() {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        var samples: [TimeInterval] = [0, 0.0004, 0.0009, 0.9995, 0.9999, -0.0004, -1, 1_764_633_600.0015, 1_764_633_600.999999,
                                       -30_610_224_000, 253_402_300_799.999, 253_402_300_800, 951_782_400, 4_107_542_400]
        for index in 0..<50_000 {
            switch index % 3 {
            case 0: samples.append(Double.random(in: -40_000_000_000...250_000_000_000, using: &generator))
            case 1: samples.append(Double(Int.random(in: 0...4_000_000_000_000, using: &generator)) / 1000)
            default: samples.append(Date().timeIntervalSince1970 + Double.random(in: -2...2, using: &generator))
            }
        }
        let differing = samples.filter { Wire.formatDate(Date(timeIntervalSince1970: $0)) != Date(timeIntervalSince1970: $0).formatted(style) }
        let count = differing.count
        #expect(count == 0, "\(differing.prefix(5).map { ($0, Wire.formatDate(Date(timeIntervalSince1970: $0))) })")
    }

    @Test("what it writes reads back to the same millisecond")
    func roundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_764_633_600.123)
        let back = try #require(Wire.parseDate(Wire.formatDate(date)))
        #expect(abs(back.timeIntervalSince(date)) < 0.001)
    }
}
