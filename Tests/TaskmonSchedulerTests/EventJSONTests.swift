import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("The hand-written event JSON is JSONEncoder's, byte for byte")
struct EventJSONTests {
    static let names = [
        "task-0", "", "quote \" and back\\slash", "slash / kept", "tab\tnew\nline\rcr", "\u{0}\u{1}\u{8}\u{C}\u{1B}]52;c;x\u{7}\u{7F}",
        "漢字🎉 é", "\u{202E}bidi", "\u{FFFD}", String(repeating: "x", count: 5000),
    ]

    /// Whole, tiny, huge and unrounded seconds: JSONEncoder's shortest forms (`1`, `1e-07`, `3e+20`).
    static let cpuTimes = [0.75, 1.0, 12.0, 1e-7, 0.1 + 0.2, 3e20, 123456789.123, 0, Double.leastNonzeroMagnitude, 2.5e-5]

    static var changes: [TaskStatusChange] {
        var all: [TaskStatusChange] = []
        for (index, name) in names.enumerated() {
            for status in TaskStatus.allCases {
                let previous = TaskStatus.allCases[(status.rawValue + index) % TaskStatus.allCases.count]
                all.append(TaskStatusChange(
                    jobID: JobID(index * 1_000_003), taskID: index * 7, name: name, previous: previous, status: status,
                    pid: index % 2 == 0 ? Int32(4000 + index) : nil, attempts: index, exitCode: index % 3 == 0 ? Int32(index - 1) : nil,
                    signal: index % 4 == 1 ? 9 : nil, exceptionType: index % 2 == 1 ? "Value\"Error\(name.prefix(3))" : nil,
                    cancellationReason: CancellationReason.allCases[index % 3],
                    peakRSS: index % 3 == 1 ? Int64(index) << 30 : nil, cpuTime: (index + status.rawValue) % 2 == 0 ? Self.cpuTimes[(index + status.rawValue) % Self.cpuTimes.count] : nil))
            }
        }
        return all
    }

    @Test("every status, every optional present and absent, hostile and long names")
    func sameBytes() throws {
        let encoder = Wire.encoder()
        for (index, change) in Self.changes.enumerated() {
            let time = Date(timeIntervalSince1970: 1_800_000_000 + Double(index) * 0.001)
            let seq = UInt64(index) * 977 + (index == 0 ? UInt64.max - 1 : 0)
            let expected = try encoder.encode(SchedulerEvent(seq: seq, time: time, body: .taskStatusChanged(change)))
            let written = try #require(EventJSON.encode(seq: seq, time: time, body: .taskStatusChanged(change)))
            #expect(written == expected, "\(String(decoding: written, as: UTF8.self)) ≠ \(String(decoding: expected, as: UTF8.self))")
            #expect(try Wire.decoder().decode(SchedulerEvent.self, from: written).body == .taskStatusChanged(change))
        }
    }

    @Test("other events are left to JSONEncoder")
    func othersLeft() {
        let progress = EventBody.taskProgress(TaskProgressUpdate(jobID: 1, taskID: 0, progress: TaskProgress(percent: 5, info: nil)))
        #expect(EventJSON.encode(seq: 1, time: Date(), body: progress) == nil)
    }
}
