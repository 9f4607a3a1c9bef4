import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Nothing a task started outlives it: the real `taskmon serve`, and tasks that try to leave
/// their process group, their session, or ignore the signals meant for them.
@Suite("Nothing a task started outlives it (real binary)")
struct EscapeTests {
    /// The process whose pid a task wrote to `path`, once it is there, followed by its pidfd
    /// from then on (call it while that process still runs): a number checked later may be
    /// another process's by then.
    static func pid(in path: String) throws -> WatchedProcess {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n"),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) { return WatchedProcess(pid) }
            usleep(10_000)
        }
        throw EscapeTestError("no pid in \(path)")
    }

    /// True while the process exists and is not a zombie, asked by number: only to see that a
    /// process just found in /proc (``leftovers(of:)``) or known to run still runs; whether one
    /// has ended is asked of a ``WatchedProcess``.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }

    static func gone(_ process: WatchedProcess, within seconds: Double = 15) -> Bool {
        process.gone(within: seconds)
    }

    func run(_ script: String, in scheduler: ServedScheduler, timeout: Double? = nil) throws -> (JobID, SchedulerClient) {
        let client = try scheduler.client()
        var spec = JobSpec(name: "escape", tasks: [TaskSpec(command: ["sh", "-c", script])])
        spec.taskTimeout = timeout
        return (try client.submit(spec).jobID, client)
    }

    @Test("a background child of a COMPLETED task is killed, and its pipes let go")
    func backgroundChild() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/bg.pid"
                let (job, _) = try run("sleep 90 & echo $! > \(file); exit 0", in: scheduler)
                let child = try Self.pid(in: file)
                let info = try scheduler.waitForJob(job)
                #expect(info.count(.completed) == 1)
                #expect(Self.gone(child), "the background sleep outlived its task")
            }
        }
    }

    @Test("a child that calls setsid does not survive its task's TIMED_OUT")
    func setsidChild() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/setsid.pid"
                let (job, _) = try run("setsid sleep 90 & echo $! > \(file); sleep 60", in: scheduler, timeout: 1)
                let child = try Self.pid(in: file)
                let info = try scheduler.waitForJob(job)
                #expect(info.count(.timedOut) == 1)
                #expect(Self.gone(child), "the setsid child outlived its timed-out task")
            }
        }
    }

    @Test("a child that ignores SIGTERM does not survive CANCELED")
    func termIgnoringChild() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/term.pid"
                let (job, client) = try run("(trap '' TERM; exec sleep 90) & echo $! > \(file); sleep 60", in: scheduler)
                let child = try Self.pid(in: file)
                _ = try client.cancel(job, message: "stop")
                let info = try scheduler.waitForJob(job)
                #expect(info.count(.canceled) == 1)
                #expect(Self.gone(child), "the TERM-ignoring child outlived its canceled task")
            }
        }
    }

    @Test("a task that moves itself into the scheduler's process group still times out")
    func setpgidIntoParentsGroup() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let file = scheduler.directory.path + "/pg.pid"
                let ready = scheduler.directory.path + "/pg.ready"
                // The pid comes from the shell ($$ is the same after exec); python says when it
                // has left its group. The timeout leaves python time to start on a loaded machine.
                let script = """
                    echo $$ > \(file); exec python3 -c 'import os, time; os.setpgid(0, os.getpgid(os.getppid())); open("\(ready)", "w").write("%d\\n" % os.getpid()); time.sleep(60)'
                    """
                let (job, _) = try run(script, in: scheduler, timeout: 20)
                let task = try Self.pid(in: file)
                #expect(try Self.pid(in: ready).pid == task.pid)
                #expect(getpgid(task.pid) == getpgid(scheduler.pid), "the task did not join the scheduler's group")
                let info = try scheduler.waitForJob(job)
                #expect(info.count(.timedOut) == 1)
                #expect(Self.gone(task))
            }
        }
    }

    @Test("50 tasks that leave `sleep 90 &` behind: no process and no descriptor left, the next job runs")
    func manyLeftovers() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                func descriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(scheduler.pid)/fd").count) ?? 0 }
                // What the scheduler holds before: a test process running many tests at once may
                // hand its children descriptors of its own.
                let baseline = descriptors()
                let client = try scheduler.client()
                let spec = JobSpec(name: "leftovers", tasks: (0..<50).map { _ in TaskSpec(command: ["sh", "-c", "sleep 90 & exit 0"]) })
                let job = try client.submit(spec).jobID
                let done = try scheduler.waitForJob(job)
                #expect(done.count(.completed) == 50, "\(done.statusCounts) \(done.tasks?.compactMap { $0.exception?.message }.prefix(3) ?? [])")
                let deadline = Date().addingTimeInterval(15)
                var left = Self.leftovers(of: scheduler)
                while !left.isEmpty && Date() < deadline {
                    usleep(20_000)
                    left = Self.leftovers(of: scheduler)
                }
                #expect(left.isEmpty, "processes of finished tasks still run: \(left)")
                var fds = descriptors()
                while fds > baseline + 10 && Date() < deadline.addingTimeInterval(15) {
                    usleep(20_000)
                    fds = descriptors()
                }
                #expect(fds <= baseline + 10, "the scheduler holds \(fds) descriptors, \(baseline) before the job")
            }
        }
    }

    /// Processes (not zombies) whose environment names this scheduler's state dir.
    static func leftovers(of scheduler: ServedScheduler) -> [Int32] {
        let marker = "\(TaskEnvironment.jobID)="
        let folder = "TASKMON_STATE_DIR=\(scheduler.directory.path)"
        return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { name in
            guard let pid = Int32(name), pid != scheduler.pid,
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
            let variables = environ.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard variables.contains(folder), variables.contains(where: { $0.hasPrefix(marker) }), isAlive(pid) else { return nil }
            return pid
        }
    }
}

struct EscapeTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
