import Foundation
import Testing
import TaskmonKit

@Suite("Issue 9: every number and string in a spec or channel line is range-checked")
struct TrustLimitsTests {
    func problem(_ json: String) -> JobSpecError? {
        do {
            _ = try JobSpec.parse(Data(json.utf8), source: "job.json")
            return nil
        } catch {
            return error
        }
    }

    @Test("numbers out of range are refused naming the key", arguments: [
        (#"{"task_timeout": 1e16, "tasks": [{"command": ["true"]}]}"#, "task_timeout"),
        (#"{"task_timeout": 31622401, "tasks": [{"command": ["true"]}]}"#, "task_timeout"),
        (#"{"task_timeout": 0, "tasks": [{"command": ["true"]}]}"#, "task_timeout"),
        (#"{"max_interrupted_retries": -1, "tasks": [{"command": ["true"]}]}"#, "max_interrupted_retries"),
        (#"{"max_interrupted_retries": 1e30, "tasks": [{"command": ["true"]}]}"#, "max_interrupted_retries"),
        (#"{"priority": 99, "tasks": [{"command": ["true"]}]}"#, "priority"),
    ])
    func numbers(json: String, key: String) {
        #expect(problem(json)?.key == key, "\(String(describing: problem(json)))")
    }

    @Test("a timeout of a year is the most, and its milliseconds fit Int64")
    func largestTimeout() throws {
        let spec = try JobSpec.parse(Data(#"{"task_timeout": 31622400, "tasks": [{"command": ["true"]}]}"#.utf8), source: "job.json")
        #expect(Int64(exactly: (spec.taskTimeout! * 1000).rounded()) != nil)
    }

    @Test("strings that no process could receive are refused naming the key", arguments: [
        (#"{"tasks": [{"command": ["true"], "env": {"A=B": "x"}}]}"#, "tasks[0].env.A=B"),
        (#"{"tasks": [{"command": ["true"], "env": {"": "x"}}]}"#, "tasks[0].env"),
        (#"{"tasks": [{"command": ["a\u0000b"]}]}"#, "tasks[0].command[0]"),
        (#"{"tasks": [{"command": [""]}]}"#, "tasks[0].command[0]"),
        (#"{"environment": {"cwd": ""}, "tasks": [{"command": ["true"]}]}"#, "environment.cwd"),
    ])
    func strings(json: String, key: String) {
        #expect(problem(json)?.key == key, "\(String(describing: problem(json)))")
    }

    @Test("invalid UTF-8 is named as such, with the byte")
    func invalidUTF8() {
        let data = Data(#"{"name": ""#.utf8) + Data([0xc3, 0x28]) + Data(#""}"#.utf8)
        do {
            _ = try JobSpec.parse(data, source: "job.json")
            Issue.record("accepted")
        } catch {
            #expect(error.problem.contains("not valid UTF-8 (byte 10)"), "\(error)")
        }
    }

    @Test("long names and descriptions are refused; long messages are clipped on a character boundary")
    func sizes() {
        let name = String(repeating: "é", count: 600)
        #expect(problem(#"{"name": "\#(name)", "tasks": [{"command": ["true"]}]}"#)?.key == "name")
        let clipped = JobSpecLimits.clippedMessage(String(repeating: "é", count: 10_000))
        #expect(clipped.utf8.count <= JobSpecLimits.maxMessageBytes)
        #expect(clipped.hasSuffix("…"))
        #expect(JobSpecLimits.clippedMessage("short") == "short")
    }

    @Test("channel ints beyond Int64 and progress beyond Int32 are warnings, not wrong values", arguments: [
        #"{"property": {"name": "P", "int": 1e300}}"#,
        #"{"property": {"name": "P", "int": 9223372036854775808}}"#,
        #"{"property": {"name": "P", "int": -1e19}}"#,
        #"{"progress": {"percent": 2147483648}}"#,
        #"{"progress": {"percent": -1e10}}"#,
    ])
    func channelNumbers(line: String) {
        #expect(throws: ChannelLineError.self) { try ChannelRecord.parse(line: Substring(line)) }
    }

    @Test("channel ints at the edges of Int64 are kept exactly")
    func channelEdges() throws {
        #expect(try ChannelRecord.parse(line: #"{"property": {"name": "P", "int": 9223372036854775807}}"#) == .property(name: "P", value: .int(.max)))
        #expect(try ChannelRecord.parse(line: #"{"property": {"name": "P", "int": -9223372036854775808}}"#) == .property(name: "P", value: .int(.min)))
        #expect(try ChannelRecord.parse(line: #"{"progress": {"percent": 0}}"#) == .progress(TaskProgress(percent: 0, info: nil)))
        #expect(try ChannelRecord.parse(line: #"{"progress": {"percent": 1}}"#) == .progress(TaskProgress(percent: 1, info: nil)))
        // The reference's progress is the task's own int ("from 20 to 2500"): kept, not clamped.
        #expect(try ChannelRecord.parse(line: #"{"progress": {"percent": 2500}}"#) == .progress(TaskProgress(percent: 2500, info: nil)))
        #expect(try ChannelRecord.parse(line: #"{"progress": {"percent": -5}}"#) == .progress(TaskProgress(percent: -5, info: nil)))
        #expect(try ChannelRecord.parse(line: #"{"progress": {"percent": 2147483647}}"#) == .progress(TaskProgress(percent: 2147483647, info: nil)))
    }

    @Test("wire params out of range are named")
    func wire() {
        #expect(WireLimits.problem(JobQuery(jobID: 1, includeTasks: true, taskOffset: -1)) != nil)
        #expect(WireLimits.problem(JobQuery(jobID: 1, includeTasks: true, taskOffset: 0, taskLimit: -1)) != nil)
        #expect(WireLimits.problem(JobQuery(jobID: 1, includeTasks: true, taskOffset: 1, taskLimit: .max)) == nil)
        #expect(WireLimits.problem(SubscribeParams(afterSeq: .max)) != nil)
        #expect(WireLimits.problem(SubscribeParams(afterSeq: UInt64(Int64.max))) == nil)
        #expect(WireLimits.problem(ReadOutputParams(jobID: 1, taskID: 0, stream: .stdout, offset: .max, length: 1)) != nil)
        #expect(WireLimits.problem(TaskQuery(jobID: 1, taskID: 0, outputCap: -1)) != nil)
    }
}
