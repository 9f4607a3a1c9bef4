import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("Resources through the CLI: serve --memory-mb and memory_mb in the config file (real binary)")
struct ResourceCLITests {
    @Test("serve --memory-mb 100: two 60 MB tasks run one after the other; a 200 MB ask is refused at submit naming the option")
    func memoryOption() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(slots: 2, extra: ["--memory-mb", "100"])
            let folder = scheduler.directory.path + "/live"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let script = "touch \(folder)/$TASKMON_TASK_ID; ls \(folder) | wc -l; sleep 0.3; rm \(folder)/$TASKMON_TASK_ID"
            let spec = try writeSpec("""
                {"resources": {"memory_mb": 60}, "tasks": [{"command": ["sh", "-c", "\(script)"]}, {"command": ["sh", "-c", "\(script)"]}]}
                """, in: scheduler.directory)
            let submitted = try scheduler.taskmon("submit", "--wait", spec)
            #expect(submitted.status == 0, "\(submitted.stderr)")
            let job = try scheduler.client().job(1, includeTasks: true)
            #expect(job.resources == TaskResources(memoryMB: 60))
            for index in 0..<2 {
                let output = try scheduler.client().task(1, index).standardOutput?.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(output == "1", "task \(index) ran beside another: 120 MB of 100")
            }
            let greedy = try writeSpec(#"{"tasks": [{"command": ["true"], "resources": {"memory_mb": 200}}]}"#, in: scheduler.directory, name: "greedy.json")
            let refused = try scheduler.taskmon("submit", greedy)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("tasks[0].resources.memory_mb"), "\(refused.stderr)")
            #expect(refused.stderr.contains("200 MB") && refused.stderr.contains("100 MB") && refused.stderr.contains("--memory-mb"), "\(refused.stderr)")
            let shown = try scheduler.taskmon("show", "1")
            #expect(shown.stdout.contains("resources per task: 1 core, 60 MB"), "\(shown.stdout)")
        }
    }

    @Test("memory_mb in [serve] of the config file counts; a wrong type there is an error naming the file and key")
    func configFile() async throws {
        try await offPool {
            let home = ServedScheduler().directory.path
            defer { try? FileManager.default.removeItem(atPath: home) }
            try FileManager.default.createDirectory(atPath: home + "/taskmon", withIntermediateDirectories: true)
            try "[serve]\nmemory_mb = \"lots\"\n".write(toFile: home + "/taskmon/config.toml", atomically: true, encoding: .utf8)
            let bad = try run(Binaries.taskmon, ["serve", "--state-dir", home + "/state"], environment: ["XDG_CONFIG_HOME": home])
            #expect(bad.status == 2)
            #expect(bad.stderr.contains("serve.memory_mb must be an integer"), "\(bad.stderr)")

            try "[serve]\nmemory_mb = 50\n".write(toFile: home + "/taskmon/config.toml", atomically: true, encoding: .utf8)
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(environment: ["XDG_CONFIG_HOME": home])
            let spec = try writeSpec(#"{"resources": {"memory_mb": 60}, "tasks": [{"command": ["true"]}]}"#, in: scheduler.directory)
            let refused = try scheduler.taskmon("submit", spec)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("50 MB"), "\(refused.stderr)")
        }
    }
}
