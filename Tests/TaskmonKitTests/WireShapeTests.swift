import Foundation
import Testing
import TaskmonKit

@Suite("JSON shapes of the protocol")
struct WireShapeTests {
    func object<T: Encodable>(_ value: T) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Wire.encoder().encode(value)) as? [String: Any])
    }

    @Test("a task has every key of the architecture's shape")
    func taskShape() throws {
        var task = TaskInfo(jobID: 3, id: 1, name: "frame-1", status: .failed, attempts: 1)
        task.properties = ["Frames": .int(100), "Blob": .bytes(Data([0, 1, 2])), "Name": .string("x"), "Ratio": .float(0.5)]
        task.exception = TaskException(type: "ExitStatus", message: "exited with status 3", trace: "boom")
        task.startedAt = Date(timeIntervalSince1970: 1_700_000_000.25)
        let json = try object(task)
        for key in ["id", "name", "task_status", "status_value", "attempts", "interrupted_retry_attempts", "pid",
                    "submitted_at", "assigned_at", "started_at", "finished_at", "exit_code", "signal", "progress",
                    "result", "properties", "exception", "standard_output", "standard_error",
                    "task_cancellation_message", "task_cancellation_reason"] {
            #expect(json.keys.contains(key), "missing \(key)")
        }
        #expect(json["task_status"] as? String == "FAILED")
        #expect(json["status_value"] as? Int == 10)
        #expect(json["task_cancellation_reason"] as? String == "NONE")
        #expect(json["started_at"] as? String == "2023-11-14T22:13:20.250Z")
        let properties = try #require(json["properties"] as? [String: [String: Any]])
        #expect(properties["Frames"]?["type"] as? String == "int")
        #expect(properties["Frames"]?["value"] as? Int == 100)
        #expect(properties["Blob"]?["type"] as? String == "bytes")
        #expect(properties["Blob"]?["value"] as? String == "AAEC")
        #expect(properties["Ratio"]?["type"] as? String == "float")
        let exception = try #require(json["exception"] as? [String: String])
        #expect(exception == ["type": "ExitStatus", "message": "exited with status 3", "trace": "boom"])
    }

    @Test("a task decodes back to itself")
    func taskRoundTrip() throws {
        var task = TaskInfo(jobID: 1, id: 0, name: "t", status: .canceled, cancellationMessage: "Canceled by root: x", cancellationReason: .direct)
        task.properties = ["b": .bytes(Data([255])), "i": .int(-4), "f": .float(2.5), "s": .string("é")]
        task.result = TaskResult(display: "42", type: "int", encoding: "json", data: "42")
        task.progress = TaskProgress(percent: 40, info: "4 of 10")
        task.finishedAt = Date(timeIntervalSince1970: 1_700_000_000.5)
        let decoded = try Wire.decoder().decode(TaskInfo.self, from: Wire.encoder().encode(task))
        #expect(decoded == task)
    }

    @Test("events round-trip with their type names")
    func events() throws {
        let change = TaskStatusChange(jobID: 1, taskID: 2, name: "t", previous: .running, status: .completed, pid: 77, attempts: 1)
        let event = SchedulerEvent(seq: 9, time: Date(timeIntervalSince1970: 1_000), body: .taskStatusChanged(change))
        let json = try object(event)
        #expect(json["type"] as? String == "task_status_changed")
        #expect((json["data"] as? [String: Any])?["status"] as? String == "COMPLETED")
        #expect(try Wire.decoder().decode(SchedulerEvent.self, from: Wire.encoder().encode(event)) == event)
    }

    @Test("progress keeps any value a 32-bit int holds, as the reference's set_progress does")
    func progressRange() {
        #expect(TaskProgress(percent: 2500).percent == 2500)
        #expect(TaskProgress(percent: -3).percent == -3)
        #expect(TaskProgress(percent: Int(Int32.max) + 1).percent == Int(Int32.max))
    }

    @Test("state dir: flag, then TASKMON_STATE_DIR, then XDG_STATE_HOME, then HOME")
    func stateDirectory() {
        #expect(StateDirectory.resolve("/a/b/", environment: ["TASKMON_STATE_DIR": "/x"]).path == "/a/b")
        #expect(StateDirectory.resolve(nil, environment: ["TASKMON_STATE_DIR": "/x", "XDG_STATE_HOME": "/y"]).path == "/x")
        #expect(StateDirectory.resolve(nil, environment: ["XDG_STATE_HOME": "/y", "HOME": "/h"]).path == "/y/taskmon")
        #expect(StateDirectory.resolve(nil, environment: ["HOME": "/h"]).path == "/h/.local/state/taskmon")
        #expect(StateDirectory(path: "/s").socketPath == "/s/scheduler.sock")
    }
}

@Suite struct TaskRowShapeTests {
    @Test func aRowIsAnArrayAndReadsBack() throws {
        var task = TaskInfo(jobID: 1, id: 7, name: "frame-7", status: .failed, attempts: 2, pid: 42,
                            startedAt: Date(timeIntervalSince1970: 1_700_000_000.5), exitCode: 3,
                            progress: TaskProgress(percent: 60, info: "row 6"), cancellationReason: .none)
        task.exception = TaskException(type: "ValueError", message: "bad")
        let row = TaskRowInfo(task)
        let json = String(decoding: try Wire.encoder().encode(row), as: UTF8.self)
        #expect(json == #"[7,"frame-7",10,2,42,1700000000.5,null,60,"row 6",3,null,"ValueError",0,"bad"]"#)
        #expect(try Wire.decoder().decode(TaskRowInfo.self, from: Data(json.utf8)) == row)
    }

    @Test func aWaitingRowCarriesTheBackendsMessageLast() throws {
        var task = TaskInfo(jobID: 1, id: 3, name: "t3", status: .assigned)
        task.message = "waiting for free resources (Resources)"
        let row = TaskRowInfo(task)
        let json = String(decoding: try Wire.encoder().encode(row), as: UTF8.self)
        // Usage (none yet: nulls) comes before it, so that readers of either find their place.
        #expect(json == #"[3,"t3",2,0,null,null,null,null,null,null,null,null,0,null,null,null,"waiting for free resources (Resources)"]"#)
        #expect(try Wire.decoder().decode(TaskRowInfo.self, from: Data(json.utf8)) == row)
    }

    @Test func aJobSaysHowItsSetupAndTeardownEnded() throws {
        var job = JobInfo(id: 1, name: "j", maxInterruptedRetries: 3, cancelOnTaskFailure: false,
                          submittedAt: Date(timeIntervalSince1970: 0), taskCount: 1, statusCounts: [:])
        job.setup = EnvironmentStepInfo(state: .succeeded, exitCode: 0)
        job.teardown = EnvironmentStepInfo(state: .failed, signal: 9)
        let json = String(decoding: try Wire.encoder().encode(job), as: UTF8.self)
        #expect(json.contains(#""setup":{"exit_code":0,"state":"succeeded"}"#))
        #expect(json.contains(#""teardown":{"signal":9,"state":"failed"}"#))
        #expect(try Wire.decoder().decode(JobInfo.self, from: Data(json.utf8)) == job)
        #expect(job.teardown?.summary == "failed (signal 9)")
    }

    @Test func aRowWithoutTheMessageReadsAsNone() throws {
        let old = #"[7,"frame-7",10,2,42,null,null,null,null,3,null,"ValueError",0]"#
        let row = try Wire.decoder().decode(TaskRowInfo.self, from: Data(old.utf8))
        #expect(row.exceptionType == "ValueError")
        #expect(row.exceptionMessage == nil)
    }
}
