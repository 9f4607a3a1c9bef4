import Foundation
import Testing
import TaskmonKit

@Suite("Job spec: the submitter's environment (submitter_env, inherit_env)")
struct JobSpecEnvironmentTests {
    func problem(_ json: String) -> JobSpecError? {
        do {
            _ = try JobSpec.parse(Data(json.utf8), source: "job.json")
            return nil
        } catch {
            return error
        }
    }

    @Test("submitter_env and inherit_env parse; left out, nothing is sent and inheriting is on")
    func parses() throws {
        let sent = try JobSpec.parse(Data(#"{"submitter_env": {"HOME": "/h", "EMPTY": ""}, "tasks": [{"command": ["true"]}]}"#.utf8), source: "s")
        #expect(sent.submitterEnvironment == ["HOME": "/h", "EMPTY": ""])
        #expect(sent.inheritEnvironment)
        let clean = try JobSpec.parse(Data(#"{"inherit_env": false, "submitter_env": null, "tasks": [{"command": ["true"]}]}"#.utf8), source: "s")
        #expect(clean.submitterEnvironment == nil)
        #expect(!clean.inheritEnvironment)
        let plain = try JobSpec.parse(Data(#"{"tasks": [{"command": ["true"]}]}"#.utf8), source: "s")
        #expect(plain.submitterEnvironment == nil)
        #expect(plain.inheritEnvironment)
    }

    @Test("bad submitter environments are refused, naming the key", arguments: [
        (#"{"inherit_env": "no", "tasks": [{"command": ["true"]}]}"#, "inherit_env", "expected true or false"),
        (#"{"submitter_env": ["A=1"], "tasks": [{"command": ["true"]}]}"#, "submitter_env", "expected an object of strings"),
        (#"{"submitter_env": {"A": 1}, "tasks": [{"command": ["true"]}]}"#, "submitter_env.A", "expected a string"),
        (#"{"submitter_env": {"": "x"}, "tasks": [{"command": ["true"]}]}"#, "submitter_env", "needs a name"),
        (#"{"submitter_env": {"A=B": "x"}, "tasks": [{"command": ["true"]}]}"#, "submitter_env.A=B", "cannot contain \"=\" or NUL"),
        (#"{"submitter_env": {"A": "x\u0000y"}, "tasks": [{"command": ["true"]}]}"#, "submitter_env.A", "NUL"),
        (#"{"inherit_env": false, "submitter_env": {"A": "1"}, "tasks": [{"command": ["true"]}]}"#, "submitter_env", "leave one of them out"),
    ])
    func refused(json: String, key: String, words: String) {
        let error = problem(json)
        #expect(error?.key == key, "\(String(describing: error))")
        #expect(error?.problem.contains(words) == true, "\(String(describing: error))")
    }

    @Test("a submitter environment over 1 MiB is refused")
    func bounded() {
        let big = String(repeating: "x", count: JobSpecLimits.maxEnvBytes)
        var spec = JobSpec(tasks: [TaskSpec(command: ["true"])])
        spec.submitterEnvironment = ["BIG": big]
        #expect(throws: JobSpecError.self) { try JobSpecLimits.check(spec, source: "s") }
        spec.submitterEnvironment = ["SMALL": "x"]
        #expect(throws: Never.self) { try JobSpecLimits.check(spec, source: "s") }
    }

    @Test("a spec with a submitter environment encodes and parses back to itself")
    func roundTrip() throws {
        var spec = JobSpec(tasks: [TaskSpec(command: ["true"])])
        spec.submitterEnvironment = ["PATH": "/bin", "LANG": "C.UTF-8"]
        #expect(try JobSpec.parse(try Wire.encoder().encode(spec), source: "wire") == spec)
        spec.submitterEnvironment = nil
        spec.inheritEnvironment = false
        #expect(try JobSpec.parse(try Wire.encoder().encode(spec), source: "wire") == spec)
    }
}
