import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Job environment: setup, teardown, env and cwd")
struct EnvironmentTests {
    @Test("a failing setup gives ENVIRONMENT_ERROR to every task, with the setup's output; no task runs")
    func setupFails() async throws {
        try await withScheduler { scheduler in
            let ran = scheduler.directory.path + "/task-ran"
            let job = try await scheduler.submit(["touch \(ran)", "touch \(ran)", "touch \(ran)"]) {
                $0.environment = EnvironmentSpec(setup: ["sh", "-c", "echo preparing; echo 'make: *** no rule' >&2; exit 4"])
            }
            let info = try await scheduler.waitForJob(job)
            #expect(info.count(.environmentError) == 3)
            #expect(!FileManager.default.fileExists(atPath: ran))
            for index in 0..<3 {
                let task = try await scheduler.client.task(job, index)
                #expect(task.status == .environmentError)
                #expect(task.attempts == 0)
                #expect(task.exception?.type == "EnvironmentSetupError")
                #expect(task.exception?.message == "environment setup exited with status 4")
                #expect(task.exception?.trace.contains("no rule") == true)
                #expect(task.standardOutput == "preparing\n")
                #expect(task.standardError?.contains("no rule") == true)
            }
        }
    }

    @Test("setup runs once before the first task, teardown after the last, whatever the outcome")
    func setupAndTeardown() async throws {
        try await withScheduler(slots: 2) { scheduler in
            let log = scheduler.directory.path + "/log"
            let job = try await scheduler.submit(["echo task0 >> \(log)", "echo task1 >> \(log); exit 1", "echo task2 >> \(log)"]) {
                $0.environment = EnvironmentSpec(
                    setup: ["sh", "-c", "echo setup >> \(log)"], teardown: ["sh", "-c", "echo teardown >> \(log)"])
            }
            try await scheduler.waitForJob(job)
            var lines: [String] = []
            await within {
                lines = ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                return lines.last == "teardown"
            }
            #expect(lines.first == "setup")
            #expect(lines.last == "teardown")
            #expect(Set(lines.dropFirst().dropLast()) == ["task0", "task1", "task2"])
            #expect(lines.count == 5)
        }
    }

    @Test("a failing teardown is a warning on the job, with its stderr")
    func teardownFails() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["true"]) {
                $0.environment = EnvironmentSpec(teardown: ["sh", "-c", "echo 'cannot remove tmp' >&2; exit 2"])
            }
            try await scheduler.waitForJob(job)
            var info = try await scheduler.client.job(job)
            try await within {
                info = try await scheduler.client.job(job)
                return !info.warnings.isEmpty
            }
            #expect(info.warnings == ["teardown exited with status 2: cannot remove tmp"])
            #expect(info.count(.completed) == 1)
        }
    }

    @Test("the job's info says how its setup and teardown ended: state and exit status (issue 10)")
    func setupAndTeardownStatus() async throws {
        try await withScheduler { scheduler in
            let plain = try await scheduler.submit(["true"])
            #expect(try await scheduler.client.job(plain).setup == nil)
            let job = try await scheduler.submit(["true"]) {
                $0.environment = EnvironmentSpec(setup: ["true"], teardown: ["sh", "-c", "exit 3"])
            }
            try await scheduler.waitForJob(job)
            var info = try await scheduler.client.job(job)
            for _ in 0..<250 where info.teardown?.state != .failed {
                try await Task.sleep(for: .milliseconds(20))
                info = try await scheduler.client.job(job)
            }
            #expect(info.setup == EnvironmentStepInfo(state: .succeeded, exitCode: 0))
            #expect(info.teardown == EnvironmentStepInfo(state: .failed, exitCode: 3))
            // The list and the events carry it too.
            #expect(try await scheduler.client.jobs().first { $0.id == job }?.teardown?.exitCode == 3)
            let failing = try await scheduler.submit(["true"]) {
                $0.environment = EnvironmentSpec(setup: ["sh", "-c", "kill -9 $$"], teardown: ["true"])
            }
            let failed = try await scheduler.waitForJob(failing)
            #expect(failed.setup == EnvironmentStepInfo(state: .failed, signal: 9))
        }
    }

    @Test("job and task env and cwd reach the process, with the TASKMON_* variables")
    func envAndCwd() async throws {
        try await withScheduler { scheduler in
            let job = try await scheduler.submit(["echo $JOBVAR $TASKVAR $TASKMON_JOB_ID $TASKMON_TASK_ID; pwd"]) {
                $0.environment = EnvironmentSpec(env: ["JOBVAR": "j", "TASKVAR": "overridden"], cwd: "/tmp")
                $0.tasks[0].env = ["TASKVAR": "t"]
                $0.tasks[0].cwd = "/usr"
            }
            try await scheduler.waitForJob(job)
            let task = try await scheduler.client.task(job, 0)
            #expect(task.standardOutput == "j t \(job) 0\n/usr\n")
        }
    }

    @Test("a task whose cwd does not exist is refused at submission, naming the key (issue 9)")
    func badCwd() async throws {
        try await withScheduler { scheduler in
            do {
                _ = try await scheduler.submit(["true", "true"]) { $0.tasks[0].cwd = "/nonexistent/dir" }
                Issue.record("a job with a missing cwd was queued")
            } catch SchedulerClientError.rpc(let error) {
                #expect(error.code == RPCErrorCode.invalidSpec.rawValue)
                #expect(error.message.contains("tasks[0].cwd"))
                #expect(error.message.contains("/nonexistent/dir"))
            }
            #expect(try await scheduler.client.jobs().isEmpty)
        }
    }
}
