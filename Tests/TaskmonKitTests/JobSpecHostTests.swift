import Foundation
import Testing
import TaskmonKit

@Suite("Job spec: Python tasks for warm hosts (host on the job, python on a task)")
struct JobSpecHostTests {
    func parse(_ json: String) throws -> JobSpec {
        try JobSpec.parse(Data(json.utf8), source: "job.json")
    }

    func problem(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return (error as? JobSpecError)?.description
        }
    }

    @Test("host and python parse; the task's command is the one-shot host that runs it elsewhere")
    func hostAndPython() throws {
        let spec = try parse("""
            { "host": {"interpreter": ["/usr/bin/python3", "-X", "utf8"], "environment": "/j/env.pickle",
                       "unique_id": "abc", "idle_timeout": 30},
              "tasks": [ {"python": "/j/tasks.pickle#0"}, {"name": "cmd", "command": ["true"]} ] }
            """)
        #expect(spec.host == HostSpec(interpreter: ["/usr/bin/python3", "-X", "utf8"], environment: "/j/env.pickle", uniqueID: "abc", idleTimeout: 30))
        #expect(spec.tasks[0].python == "/j/tasks.pickle#0")
        #expect(spec.tasks[0].command == ["/usr/bin/python3", "-X", "utf8", "-m", "taskmon.host", "--environment", "/j/env.pickle", "/j/tasks.pickle#0"])
        #expect(spec.tasks[1].python == nil)
        #expect(spec.tasks[1].command == ["true"])
    }

    @Test("an interpreter may be one word; without a host the default is python3")
    func defaults() throws {
        #expect(try parse(#"{"host": {"interpreter": "python3.11"}, "tasks": [{"python": "t.pickle"}]}"#).host?.interpreter == ["python3.11"])
        let bare = try parse(#"{"tasks": [{"python": "t.pickle"}]}"#)
        #expect(bare.host == nil)
        #expect(bare.tasks[0].command == ["python3", "-m", "taskmon.host", "t.pickle"])
    }

    @Test("bad host fields are refused with the key named")
    func refused() {
        #expect(problem(#"{"host": {"idle_timeout": -1}, "tasks": [{"python": "t"}]}"#)?.contains("host.idle_timeout: expected a number of seconds") == true)
        #expect(problem(#"{"host": {"interpreter": ""}, "tasks": [{"python": "t"}]}"#)?.contains("host.interpreter: empty") == true)
        #expect(problem(#"{"host": {"pool": 3}, "tasks": [{"python": "t"}]}"#)?.contains("host.pool: unknown key") == true)
        #expect(problem(#"{"tasks": [{"python": ""}]}"#)?.contains("tasks[0].python: empty") == true)
        #expect(problem(#"{"tasks": [{"python": 3}]}"#)?.contains("tasks[0].python: expected a string") == true)
    }

    @Test("the spec round-trips through JSON with its host fields")
    func roundTrip() throws {
        let spec = try parse(#"{"host": {"unique_id": "u", "idle_timeout": 1.5}, "tasks": [{"python": "t.pickle"}]}"#)
        let again = try JobSpec.parse(try JSONEncoder().encode(spec), source: "encoded")
        #expect(again.host == spec.host)
        #expect(again.tasks[0].python == "t.pickle")
    }
}
