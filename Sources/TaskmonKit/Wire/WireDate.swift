import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The fast path of ``Wire/formatDate(_:)``, for years 1900–9999 (nil outside them, where the
/// caller falls back to Foundation's formatter).
enum WireDate {
    static func format(_ date: Date) -> String? {
        // From the reference date, as Foundation counts, so that millisecond boundaries fall
        // exactly where its formatter puts them.
        let reference = date.timeIntervalSinceReferenceDate
        guard reference.isFinite, abs(reference) < 1e11 else { return nil }
        let whole = reference.rounded(.down)
        let millis = min(999, Int(((reference - whole) * 1000).rounded(.down)))
        var seconds = time_t(Int64(whole) + 978_307_200)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return nil }
        let year = Int(parts.tm_year) + 1900
        // Foundation counts days before 1582 in the Julian calendar; those years take its path.
        guard (1900...9999).contains(year) else { return nil }
        return String(unsafeUninitializedCapacity: 24) { bytes in
            func put(_ value: Int, at start: Int, width: Int) {
                var rest = value
                var index = start + width - 1
                while index >= start {
                    bytes[index] = UInt8(truncatingIfNeeded: 48 + rest % 10)
                    rest /= 10
                    index -= 1
                }
            }
            put(year, at: 0, width: 4)
            bytes[4] = UInt8(ascii: "-")
            put(Int(parts.tm_mon) + 1, at: 5, width: 2)
            bytes[7] = UInt8(ascii: "-")
            put(Int(parts.tm_mday), at: 8, width: 2)
            bytes[10] = UInt8(ascii: "T")
            put(Int(parts.tm_hour), at: 11, width: 2)
            bytes[13] = UInt8(ascii: ":")
            put(Int(parts.tm_min), at: 14, width: 2)
            bytes[16] = UInt8(ascii: ":")
            put(Int(parts.tm_sec), at: 17, width: 2)
            bytes[19] = UInt8(ascii: ".")
            put(millis, at: 20, width: 3)
            bytes[23] = UInt8(ascii: "Z")
            return 24
        }
    }
}
