import Foundation
import Testing
@testable import TaskmonKit

@Suite struct WireDateTests {
    /// The hand-written form is Foundation's ISO 8601 form. Foundation truncates the binary
    /// value (1700000000.123 is stored as …0.12299…, so it writes .122); we scale to
    /// milliseconds first, so the two may differ by that last millisecond and no more.
    @Test func formatsLikeFoundation() throws {
        var generator = SystemRandomNumberGenerator()
        let samples = [0, 1, -1, 1_700_000_000.123, 1_700_000_000.9995, 951_782_400.5, 4_102_444_800.001] +
            (0..<500).map { _ in Double.random(in: -2_000_000_000...4_000_000_000, using: &generator) }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let ours = WireDate.format(date)
            let foundation = date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
            #expect(ours.count == foundation.count && ours.last == "Z", "\(ours) vs \(foundation)")
            let a = try #require(Wire.parseDate(ours)), b = try #require(Wire.parseDate(foundation))
            #expect(abs(a.timeIntervalSince(b)) <= 0.0011, "\(ours) vs \(foundation)")
        }
    }

    @Test func parsesWhatItWritesToTheMillisecond() throws {
        for seconds in [0, 1_700_000_000.123, 1_234_567_890.5, 86_399.999] {
            let date = Date(timeIntervalSince1970: seconds)
            let parsed = try #require(WireDate.parse(WireDate.format(date)))
            #expect(abs(parsed.timeIntervalSince1970 - seconds) < 0.0011)
        }
        #expect(WireDate.parse("2026-11-29T21:27:20Z") == Date(timeIntervalSince1970: 1_795_987_640))
        for bad in ["", "2026-11-29", "2026-13-29T21:27:20Z", "2026-11-29T21:27:20.12Z", "2026-11-29 21:27:20Z", "２026-11-29T21:27:20Z"] {
            #expect(WireDate.parse(bad) == nil, "\(bad)")
        }
        // Other ISO 8601 forms still parse through Foundation.
        #expect(Wire.parseDate("2026-11-29T22:27:20+01:00") == Date(timeIntervalSince1970: 1_795_987_640))
    }
}
