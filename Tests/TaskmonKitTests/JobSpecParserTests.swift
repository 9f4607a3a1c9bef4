import Foundation
import Testing
import TaskmonKit

@Suite("Job spec: strict parsing with messages that name the file and key")
struct JobSpecParserTests {
    func parse(_ json: String) throws -> JobSpec {
        try JobSpec.parse(Data(json.utf8), source: "job.json")
    }

    func problem(_ json: String) -> JobSpecError? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error as? JobSpecError
        }
    }

    @Test("the architecture's example parses with every field")
    func fullExample() throws {
        let spec = try parse("""
            { "name": "render", "description": "frames 1-100", "priority": "high",
              "task_timeout": 30.0, "max_interrupted_retries": 2, "cancel_on_task_failure": true,
              "environment": { "setup": ["sh","-c","make assets"], "teardown": ["sh","-c","rm -rf tmp"],
                               "env": {"K": "V"}, "cwd": "/tmp" },
              "tasks": [ { "name": "frame-1", "command": ["sh","-c","./render 1"], "env": {"A": "B"}, "cwd": null } ] }
            """)
        #expect(spec.name == "render")
        #expect(spec.description == "frames 1-100")
        #expect(spec.priority == .high)
        #expect(spec.taskTimeout == 30)
        #expect(spec.maxInterruptedRetries == 2)
        #expect(spec.cancelOnTaskFailure)
        #expect(spec.environment == EnvironmentSpec(setup: ["sh", "-c", "make assets"], teardown: ["sh", "-c", "rm -rf tmp"], env: ["K": "V"], cwd: "/tmp"))
        #expect(spec.tasks == [TaskSpec(name: "frame-1", command: ["sh", "-c", "./render 1"], env: ["A": "B"], cwd: nil)])
    }

    @Test("defaults when keys are left out")
    func defaults() throws {
        let spec = try parse(#"{"tasks": [{"command": ["true"]}]}"#)
        #expect(spec.priority == .normal)
        #expect(spec.taskTimeout == nil)
        #expect(spec.maxInterruptedRetries == JobSpec.defaultMaxInterruptedRetries)
        #expect(!spec.cancelOnTaskFailure)
        #expect(spec.name == nil)
    }

    @Test("bad input is refused naming the file and the key", arguments: [
        ("{", nil, "not valid JSON"),
        ("[]", nil, "expected an object"),
        (#"{"tasks": []}"#, "tasks", "empty"),
        (#"{"name": "x"}"#, "tasks", "missing"),
        (#"{"tasks": {}}"#, "tasks", "expected a list"),
        (#"{"taks": [], "tasks": [{"command": ["true"]}]}"#, "taks", "unknown key"),
        (#"{"tasks": [{"command": ["true"], "comand": 1}]}"#, "tasks[0].comand", "unknown key"),
        (#"{"tasks": [{"command": "true"}]}"#, "tasks[0].command", "expected a list of strings"),
        (#"{"tasks": [{"command": []}]}"#, "tasks[0].command", "empty"),
        (#"{"tasks": [{"command": ["true", 3]}]}"#, "tasks[0].command[1]", "expected a string, got a number"),
        (#"{"tasks": [{"name": "a"}]}"#, "tasks[0].command", "missing"),
        (#"{"priority": "urgent", "tasks": [{"command": ["true"]}]}"#, "priority", "unknown priority"),
        (#"{"task_timeout": "10", "tasks": [{"command": ["true"]}]}"#, "task_timeout", "positive number"),
        (#"{"task_timeout": -1, "tasks": [{"command": ["true"]}]}"#, "task_timeout", "positive number"),
        (#"{"max_interrupted_retries": 1.5, "tasks": [{"command": ["true"]}]}"#, "max_interrupted_retries", "whole number"),
        (#"{"cancel_on_task_failure": 1, "tasks": [{"command": ["true"]}]}"#, "cancel_on_task_failure", "true or false"),
        (#"{"environment": {"setup": "make"}, "tasks": [{"command": ["true"]}]}"#, "environment.setup", "expected a list"),
        (#"{"environment": {"env": {"A": 1}}, "tasks": [{"command": ["true"]}]}"#, "environment.env.A", "expected a string"),
        (#"{"environment": {"shell": "x"}, "tasks": [{"command": ["true"]}]}"#, "environment.shell", "unknown key"),
        (#"{"tasks": [{"command": ["true"]}, {"command": ["true"], "env": []}]}"#, "tasks[1].env", "expected an object"),
    ] as [(String, String?, String)])
    func rejected(json: String, key: String?, fragment: String) throws {
        let error = try #require(problem(json))
        #expect(error.source == "job.json")
        #expect(error.key == key)
        #expect(error.problem.contains(fragment), "\(error.problem)")
        #expect(error.description.hasPrefix("job.json: "))
    }

    @Test("a missing file is a spec error naming the file")
    func missingFile() {
        #expect(throws: JobSpecError.self) { try JobSpec.load(path: "/nonexistent/job.json") }
    }

    @Test("a spec encodes and parses back to itself")
    func roundTrip() throws {
        let spec = JobSpec(
            name: "n", priority: .low, taskTimeout: 2.5, maxInterruptedRetries: 0, cancelOnTaskFailure: true,
            environment: EnvironmentSpec(setup: ["true"], env: ["X": "1"]),
            tasks: [TaskSpec(name: "a", command: ["echo", "hi"]), TaskSpec(command: ["true"], env: ["Y": "2"], cwd: "/")])
        let data = try Wire.encoder().encode(spec)
        #expect(try JobSpec.parse(data, source: "wire") == spec)
    }
}
