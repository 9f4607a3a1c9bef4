import Foundation
import Glibc

/// One line of the backend's `squeue` poll: one array element.
struct SlurmQueueRecord: Sendable, Equatable {
    /// The array's job id (`12345` of `12345_7`).
    var arrayJobID: String
    /// The element's index; a pending range not yet split (`4-7,9%3`) gives one record per index.
    var index: Int
    var state: String
    var reason: String
    /// The raw wait status (`exit_code`): `raw & 0x7f` a signal, else `raw >> 8` the exit code.
    var rawExit: Int32
    /// Slurm's start and end times as it printed them; parsed only when a run changes state
    /// (a poll at 10,000 elements must not call mktime 20,000 times).
    var startText: String
    var endText: String
    var nodes: String

    /// `12345_7`.
    var id: String { arrayJobID + "_" + String(index) }

    /// Seconds since 1970 on the wall clock; nil when Slurm says N/A, NONE or Unknown.
    var startTime: Double? { Self.time(startText) }
    var endTime: Double? { Self.time(endText) }

    /// The `-O` format the parser reads: `|` after each field.
    static let format = "ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,StartTime:|,EndTime:|,NodeList:|"

    /// The records of a poll's output; lines it cannot read are skipped (a job that is not an
    /// array, someone else's format). Works on bytes: a poll at 10,000 elements is 10,000
    /// lines, and String's Character-wise splitting would cost more than squeue itself.
    static func parse(_ output: Data) -> [SlurmQueueRecord] {
        var records: [SlurmQueueRecord] = []
        output.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            let bytes = buffer.bindMemory(to: UInt8.self)
            var fields: [Range<Int>] = []
            fields.reserveCapacity(9)
            var fieldStart = 0
            var position = 0
            func field(_ number: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[fields[number]]), as: UTF8.self)
                    .trimmingSpaces()
            }
            while position <= bytes.count {
                let byte: UInt8 = position < bytes.count ? bytes[position] : UInt8(ascii: "\n")
                if byte == UInt8(ascii: "|") {
                    fields.append(fieldStart..<position)
                    fieldStart = position + 1
                } else if byte == UInt8(ascii: "\n") {
                    if fields.count >= 8 {
                        let jobID = field(0)
                        if !jobID.isEmpty, Int(jobID) != nil {
                            let base = SlurmQueueRecord(
                                arrayJobID: jobID, index: 0, state: field(2), reason: field(3),
                                rawExit: Int32(field(4)) ?? 0, startText: field(5), endText: field(6), nodes: field(7))
                            let indexText = field(1)
                            if let single = Int(indexText) {
                                var record = base
                                record.index = single
                                records.append(record)
                            } else {
                                for index in indices(indexText) {
                                    var record = base
                                    record.index = index
                                    records.append(record)
                                }
                            }
                        }
                    }
                    fields.removeAll(keepingCapacity: true)
                    fieldStart = position + 1
                }
                position += 1
            }
        }
        return records
    }

    /// `7` → [7]; `4-7,9%3` → [4, 5, 6, 7, 9]; `N/A` (not an array) → [].
    static func indices(_ text: String) -> [Int] {
        let list = text.split(separator: "%").first.map(String.init) ?? ""
        var result: [Int] = []
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-").compactMap { Int($0) }
            if bounds.count == 1 {
                result.append(bounds[0])
            } else if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 1_000_000 {
                result.append(contentsOf: bounds[0]...bounds[1])
            }
        }
        return result
    }

    /// Slurm's `2026-12-01T21:57:14` (local time, whole seconds) as seconds since 1970.
    static func time<S: StringProtocol>(_ text: S) -> Double? {
        let parts = text.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" }).compactMap { Int32($0) }
        guard parts.count == 6, parts[0] > 1970 else { return nil }
        var fields = tm()
        fields.tm_year = parts[0] - 1900
        fields.tm_mon = parts[1] - 1
        fields.tm_mday = parts[2]
        fields.tm_hour = parts[3]
        fields.tm_min = parts[4]
        fields.tm_sec = parts[5]
        fields.tm_isdst = -1
        let seconds = mktime(&fields)
        return seconds == -1 ? nil : Double(seconds)
    }
}

extension String {
    /// Without Foundation: squeue pads nothing with the backend's format, but a space may slip in.
    func trimmingSpaces() -> String {
        guard utf8.first == UInt8(ascii: " ") || utf8.last == UInt8(ascii: " ") else { return self }
        return String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}

/// What a Slurm state means for a taskmon run.
enum SlurmStateMeaning: Equatable {
    /// Waiting in Slurm's queue.
    case waiting
    /// Started (running, completing, suspended).
    case running
    /// Ended on its own: completed, failed, killed.
    case ended
    case timedOut
    case cancelled
    /// The cluster lost it (node failure, preemption, boot failure): retried by taskmon.
    case lost
    /// A state this table does not know: left alone until it changes.
    case unknown

    /// The table in the README's Slurm section.
    init(state: String) {
        // `CANCELLED by 0` and the like: the first word is the state.
        let word = state.utf8.contains(UInt8(ascii: " ")) ? (state.split(separator: " ").first.map(String.init) ?? state) : state
        switch word {
        case "PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "CONFIGURING": self = .waiting
        case "RUNNING", "COMPLETING", "SUSPENDED", "STOPPED", "SIGNALING", "RESIZING", "STAGE_OUT": self = .running
        case "COMPLETED", "FAILED", "OUT_OF_MEMORY", "SPECIAL_EXIT": self = .ended
        case "TIMEOUT", "DEADLINE": self = .timedOut
        case "CANCELLED": self = .cancelled
        case "NODE_FAIL", "PREEMPTED", "BOOT_FAIL", "REVOKED": self = .lost
        default: self = .unknown
        }
    }
}
