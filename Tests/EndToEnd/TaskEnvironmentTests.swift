import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Where a task's environment comes from (issue 9 #14): its submitter, or the scheduler's
/// minimal base; never whoever started the scheduler.
@Suite("A task's environment, with the real binary")
struct TaskEnvironmentTests {
    /// `NAME=value` lines of a task's `env` output, as a map.
    static func variables(_ output: String) -> [String: String] {
        var map: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            map[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return map
    }

    /// Waits for job `id` through `taskmon wait`, then its task `task`'s stdout as variables.
    static func environment(of id: JobID, task: TaskIndex = 0, in scheduler: ServedScheduler) throws -> [String: String] {
        let waited = try scheduler.taskmon("wait", String(id), "--timeout", "60")
        #expect(waited.status == 0, "\(waited.stderr)")
        let info = try scheduler.client().task(id, task)
        #expect(info.status == .completed, "\(info.status) \(info.standardError ?? "")")
        return variables(info.standardOutput ?? "")
    }

    static let markers: Set<String> = ["TASKMON_JOB_ID", "TASKMON_STATE_DIR", "TASKMON_CHANNEL", "TASKMON_TASK_ID", "TASKMON_ATTEMPT"]

    @Test("a scheduler started in the background by one submit gives later submitters their own environment, not the first caller's")
    func submitterNotStarter() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            // No scheduler runs: this submit starts one, in its own environment with a secret.
            let first = try scheduler.taskmon(
                "submit", "--json", "--", "env", environment: ["TM_ENV_SECRET": "hunter2", "TM_ENV_WHO": "first"])
            #expect(first.status == 0, "\(first.stderr)")
            let second = try scheduler.taskmon(
                "submit", "--json", "--", "env", environment: ["TM_ENV_MINE": "yes", "TM_ENV_WHO": "second"])
            #expect(second.status == 0, "\(second.stderr)")

            let firstEnv = try Self.environment(of: 1, in: scheduler)
            #expect(firstEnv["TM_ENV_SECRET"] == "hunter2")
            #expect(firstEnv["TM_ENV_WHO"] == "first")
            let secondEnv = try Self.environment(of: 2, in: scheduler)
            #expect(secondEnv["TM_ENV_SECRET"] == nil, "the first caller's secret reached another submitter's task")
            #expect(secondEnv["TM_ENV_MINE"] == "yes")
            #expect(secondEnv["TM_ENV_WHO"] == "second")
            #expect(secondEnv["PATH"] == ProcessInfo.processInfo.environment["PATH"].map { path in
                path.split(separator: ":").contains(Substring(Binaries.folder.path)) ? path : path + ":" + Binaries.folder.path
            })
            #expect(secondEnv["TASKMON_JOB_ID"] == "2")
            #expect(secondEnv["TASKMON_STATE_DIR"] == scheduler.directory.path)
        }
    }

    @Test("--clean-env and \"inherit_env\": false give the minimal base, then the job's env, the task's and the markers")
    func cleanEnvironment() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            let started = try scheduler.taskmon(
                "submit", "--", "true", environment: ["TM_ENV_SECRET": "hunter2", "LANG": "C.UTF-8", "TMPDIR": "/var/tmp"])
            #expect(started.status == 0, "\(started.stderr)")
            let clean = try scheduler.taskmon("submit", "--clean-env", "--", "env", environment: ["TM_ENV_MINE": "yes"])
            #expect(clean.status == 0, "\(clean.stderr)")
            let spec = try writeSpec("""
                { "inherit_env": false, "environment": { "env": { "JOBVAR": "j", "SHARED": "job", "HOME": "/job-home" } },
                  "tasks": [ { "command": ["env"], "env": { "SHARED": "task", "TASKMON_TASK_ID": "forged" } } ] }
                """, in: scheduler.directory)
            #expect(try scheduler.taskmon("submit", spec, environment: ["TM_ENV_MINE": "yes"]).status == 0)

            let user = try #require(getpwuid(geteuid()))
            let base = [
                "HOME": String(cString: user.pointee.pw_dir), "USER": String(cString: user.pointee.pw_name),
                "LOGNAME": String(cString: user.pointee.pw_name), "SHELL": String(cString: user.pointee.pw_shell),
                "LANG": "C.UTF-8", "TMPDIR": "/var/tmp",
                "PATH": Binaries.folder.path + ":/usr/local/bin:/usr/bin:/bin",
            ]
            let cleanEnv = try Self.environment(of: 2, in: scheduler)
            #expect(cleanEnv.filter { !Self.markers.contains($0.key) } == base)
            #expect(Set(cleanEnv.keys).isSuperset(of: Self.markers))

            let layered = try Self.environment(of: 3, in: scheduler)
            var expected = base
            expected["JOBVAR"] = "j"
            expected["SHARED"] = "task"
            expected["HOME"] = "/job-home"
            #expect(layered.filter { !Self.markers.contains($0.key) } == expected)
            #expect(layered["TASKMON_TASK_ID"] == "0")
        }
    }

    @Test("a submitter that is itself a task does not pass its own markers on to the setup of the job it submits")
    func submitterMarkersDropped() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start()
            let file = scheduler.directory.path + "/setup.env"
            let spec = try writeSpec("""
                { "environment": { "setup": ["sh", "-c", "env > \(file)"] }, "tasks": [ { "command": ["true"] } ] }
                """, in: scheduler.directory)
            let submitted = try scheduler.taskmon("submit", spec, environment: [
                "TASKMON_CHANNEL": "/tmp/another-task.channel", "TASKMON_TASK_ID": "9", "TASKMON_ATTEMPT": "4",
                "TASKMON_JOB_ID": "77", "TM_ENV_MINE": "yes",
            ])
            #expect(submitted.status == 0, "\(submitted.stderr)")
            #expect(try scheduler.waitForJob(1).count(.completed) == 1)
            let setup = Self.variables(try String(contentsOfFile: file, encoding: .utf8))
            #expect(setup["TM_ENV_MINE"] == "yes")
            #expect(setup["TASKMON_CHANNEL"] == nil)
            #expect(setup["TASKMON_TASK_ID"] == nil)
            #expect(setup["TASKMON_ATTEMPT"] == nil)
            #expect(setup["TASKMON_JOB_ID"] == "1")
            #expect(setup["TASKMON_STATE_DIR"] == scheduler.directory.path)
        }
    }

    @Test("a spec that says \"inherit_env\": false and sends a submitter_env is refused, naming the key")
    func contradictorySpec() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            let spec = try writeSpec("""
                { "inherit_env": false, "submitter_env": { "A": "1" }, "tasks": [ { "command": ["true"] } ] }
                """, in: scheduler.directory)
            let result = try scheduler.taskmon("submit", spec)
            #expect(result.status == 2)
            #expect(result.stderr.contains("job.json: submitter_env: given with \"inherit_env\": false"), "\(result.stderr)")
            let badName = try writeSpec("""
                { "submitter_env": { "A=B": "1" }, "tasks": [ { "command": ["true"] } ] }
                """, in: scheduler.directory, name: "bad.json")
            let refused = try scheduler.taskmon("submit", badName)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("submitter_env.A=B: an environment variable's name cannot contain"), "\(refused.stderr)")
        }
    }

    @Test("a retried task and a task run again after kill -9 and a restart get the environment their submitter sent")
    func keptAcrossRetryAndRestart() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start(slots: 2)
            let folder = scheduler.directory.path + "/attempts"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Each attempt writes its environment; the first attempt of task 0 then waits for
            // the crash, task 1's first attempt fails (to be retried).
            let spec = try writeSpec("""
                { "max_interrupted_retries": 2, "environment": { "env": { "JOBVAR": "j" } },
                  "tasks": [
                    { "command": ["sh", "-c", "env | grep -v '^TASKMON_ATTEMPT=' | sort > \(folder)/0.$TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ] || sleep 60"] },
                    { "command": ["sh", "-c", "env | grep -v '^TASKMON_ATTEMPT=' | sort > \(folder)/1.$TASKMON_ATTEMPT; [ $TASKMON_ATTEMPT -gt 1 ]"] } ] }
                """, in: scheduler.directory)
            let submitted = try scheduler.taskmon("submit", spec, environment: ["TM_ENV_MINE": "submitter"])
            #expect(submitted.status == 0, "\(submitted.stderr)")
            var client = try scheduler.client()
            for _ in 0..<3000 {
                let job = try client.job(1)
                if job.count(.running) == 1 && job.count(.failed) == 1 && FileManager.default.fileExists(atPath: folder + "/0.1") { break }
                usleep(10_000)
            }
            #expect(try client.task(1, 1).status == .failed)
            try client.retry(1, 1)
            for _ in 0..<3000 where try client.task(1, 1).status != .completed { usleep(10_000) }
            #expect(try client.task(1, 1).status == .completed)
            client.close()
            scheduler.crash()
            // Restarted from another environment: the job keeps its submitter's.
            try scheduler.start(slots: 2, environment: ["TM_ENV_RESTARTER": "other"])
            client = try scheduler.client()
            for _ in 0..<3000 where try client.job(1).count(.completed) < 2 { usleep(10_000) }
            let job = try client.job(1, includeTasks: true)
            #expect(job.count(.completed) == 2, "\(job.tasks?.map { "\($0.status) \($0.standardError ?? "")" } ?? [])")
            func read(_ name: String) throws -> String { try String(contentsOfFile: folder + "/" + name, encoding: .utf8) }
            let first = try read("0.1")
            #expect(first.contains("TM_ENV_MINE=submitter\n"))
            #expect(first.contains("JOBVAR=j\n"))
            #expect(!first.contains("TM_ENV_RESTARTER"))
            #expect(try read("0.2") == first, "the task run again after the restart got another environment")
            let failed = try read("1.1")
            #expect(failed.contains("TM_ENV_MINE=submitter\n"))
            #expect(try read("1.2") == failed, "the retried task got another environment")
        }
    }
}
