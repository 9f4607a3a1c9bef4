import Foundation
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Resources: slots count cores, memory asks are reserved, what can never fit is refused")
struct ResourceTests {
    @Test("tasks needing 2 cores on 2 slots run one at a time, and a plain job queued behind them waits its turn")
    func wideTasksDoNotOverlap() async throws {
        try await withScheduler(slots: 2) { scheduler in
            let folder = scheduler.directory.path + "/live"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Each task counts the tasks alive at its start (itself included).
            let script = "touch \(folder)/$TASKMON_JOB_ID-$TASKMON_TASK_ID; ls \(folder) | wc -l; sleep 0.3; rm \(folder)/$TASKMON_JOB_ID-$TASKMON_TASK_ID"
            let wide = try await scheduler.submit(Array(repeating: script, count: 3)) {
                $0.resources = TaskResources(cores: 2)
            }
            let plain = try await scheduler.submit([script])
            try await scheduler.waitForJob(wide)
            try await scheduler.waitForJob(plain)
            for (job, index) in [(wide, 0), (wide, 1), (wide, 2), (plain, 0)] {
                let task = try await scheduler.client.task(job, index)
                #expect(task.status == .completed)
                let seen = Int(task.standardOutput?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 99
                #expect(seen == 1, "job \(job) task \(index) started beside \(seen - 1) other(s)")
            }
        }
    }

    @Test("a job needing more cores than there are slots, or more memory than the scheduler has, is refused at submit")
    func neverFitsIsRefused() async throws {
        try await withScheduler(slots: 2) { scheduler in
            for (resources, key, words) in [
                (TaskResources(cores: 3), "resources.cores", "3 cores"),
                (TaskResources(memoryMB: TaskResources.maxMemoryMB), "resources.memory_mb", "\(TaskResources.maxMemoryMB) MB"),
            ] {
                do {
                    _ = try await scheduler.submit(["true"]) { $0.resources = resources }
                    Issue.record("\(resources) should have been refused")
                } catch SchedulerClientError.rpc(let error) {
                    #expect(error.code == RPCErrorCode.invalidSpec.rawValue)
                    #expect(error.message.contains(key))
                    #expect(error.message.contains(words))
                    #expect(error.message.contains("could never start here"))
                }
            }
            #expect(try await scheduler.client.jobs().isEmpty)
        }
    }

    @Test("resources in a spec file: checked strictly, kept across a restart")
    func specAndRestart() async throws {
        let spec = try JobSpec.parse(Data(#"{"resources": {"cores": 2, "memory_mb": 64}, "tasks": [{"command": ["true"]}]}"#.utf8), source: "job.json")
        #expect(spec.resources == TaskResources(cores: 2, memoryMB: 64))
        let perTask = try JobSpec.parse(Data(#"{"tasks": [{"command": ["true"], "resources": {"cores": 3}}, {"command": ["true"]}]}"#.utf8), source: "job.json")
        #expect(perTask.tasks.map(\.resources) == [TaskResources(cores: 3), nil])
        for bad in [#"{"cores": 0}"#, #"{"cores": 1.5}"#, #"{"memory_mb": -1}"#, #"{"gpus": 1}"#] {
            #expect(throws: JobSpecError.self) {
                try JobSpec.parse(Data(#"{"resources": \#(bad), "tasks": [{"command": ["true"]}]}"#.utf8), source: "job.json")
            }
        }
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var first = try await TestScheduler.start(slots: 2, directory: directory)
        let gate = first.gate()
        let blocker = try await first.submit([gate.waitScript]) { $0.priority = .high }
        try await first.waitForTask(blocker, 0, .running)
        let wide = try await first.submit(["echo ran"]) { $0.resources = TaskResources(cores: 2) }
        await first.stop()
        // On restart the blocker runs again first; the wide job still needs both slots.
        first = try await TestScheduler.start(slots: 2, directory: directory)
        try await first.waitForTask(blocker, 0, .running)
        #expect(try await first.client.task(wide, 0).status == .submitted)
        gate.open()
        let info = try await first.waitForJob(wide)
        #expect(info.resources == TaskResources(cores: 2), "kept across the restart, and shown")
        let task = try await first.client.task(wide, 0)
        #expect(task.status == .completed)
        #expect(task.standardOutput == "ran\n")
        await first.stop()
    }
}
