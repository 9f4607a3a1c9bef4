import Foundation
import Testing
import TaskmonKit

@Suite("Task channel lines")
struct ChannelRecordTests {
    @Test("each record kind parses", arguments: [
        (#"{"property": {"name": "Frames", "int": 100}}"#, ChannelRecord.property(name: "Frames", value: .int(100))),
        (#"{"property": {"name": "S", "string": "one hundred"}}"#, .property(name: "S", value: .string("one hundred"))),
        (#"{"property": {"name": "F", "float": 1.5}}"#, .property(name: "F", value: .float(1.5))),
        (#"{"property": {"name": "B", "bytes": "AAEC"}}"#, .property(name: "B", value: .bytes(Data([0, 1, 2])))),
        (#"{"result": {"display": "Hello", "type": "str", "encoding": "text", "data": "Hello"}}"#, .result(TaskResult(display: "Hello"))),
        (#"{"progress": {"percent": 40, "info": "4 of 10"}}"#, .progress(TaskProgress(percent: 40, info: "4 of 10"))),
        (#"{"exception": {"type": "ValueError", "message": "bad", "trace": "line 1"}}"#, .exception(TaskException(type: "ValueError", message: "bad", trace: "line 1"))),
    ])
    func parses(line: String, expected: ChannelRecord) throws {
        #expect(try ChannelRecord.parse(line: Substring(line)) == expected)
    }

    @Test("what a record writes, it reads back")
    func roundTrip() throws {
        let records: [ChannelRecord] = [
            .property(name: "n", value: .bytes(Data("héllo".utf8))), .property(name: "i", value: .int(-9)),
            .result(TaskResult(display: "d", type: "MyResult", encoding: "pickle", data: "gAN9")),
            .progress(TaskProgress(percent: 7)), .exception(TaskException(type: "E", message: "m\nx", trace: "t")),
        ]
        for record in records {
            #expect(try ChannelRecord.parse(line: Substring(record.line())) == record)
            #expect(!record.line().contains("\n"))
        }
    }

    @Test("garbage is an error with a readable message, never a crash", arguments: [
        "not json", "[1,2]", "{}", #"{"property": {"int": 1}}"#, #"{"property": {"name": "x", "int": "1"}}"#,
        #"{"property": {"name": "x", "int": 1, "string": "a"}}"#, #"{"property": {"name": "x", "bytes": "%%%"}}"#,
        #"{"property": {"name": "x", "list": [1]}}"#, #"{"result": {"type": "x"}}"#, #"{"progress": {}}"#,
        #"{"exception": {"message": "m"}}"#, #"{"launch": {}}"#, #"{"result": {}, "progress": {}}"#,
        "\u{1b}]52;c;aGVsbG8=\u{07}",
    ])
    func garbage(line: String) {
        #expect(throws: ChannelLineError.self) { try ChannelRecord.parse(line: Substring(line)) }
    }

    @Test("the writer appends whole lines to the channel file")
    func writerAppends() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("channel-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ChannelWriter.append(.progress(TaskProgress(percent: 10)), to: path)
        try ChannelWriter.append(.property(name: "a", value: .string("b")), to: path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try ChannelRecord.parse(line: lines[1]) == .property(name: "a", value: .string("b")))
        #expect(throws: ChannelWriteError.self) { try ChannelWriter.append(.progress(TaskProgress(percent: 1)), to: "/nonexistent/dir/channel") }
    }
}
