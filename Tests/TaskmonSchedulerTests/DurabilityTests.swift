import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("Durable state")
struct DurabilityTests {
    @Test("everything a finished task returned is there after a restart")
    func restartKeepsOutcomes() async throws {
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var scheduler = try await TestScheduler.start(directory: directory)
        let job = try await scheduler.submit([
            "echo out; " + channel(#"{"result": {"display": "42", "type": "int", "encoding": "json", "data": "42"}}"#),
            channel(#"{"property": {"name": "P", "bytes": "AAEC"}}"#) + "; echo err >&2; exit 5",
        ])
        try await scheduler.waitForJob(job)
        let before = try await tasks(scheduler, job, 2)
        await scheduler.stop()
        scheduler = try await TestScheduler.start(directory: directory)
        let after = try await tasks(scheduler, job, 2)
        #expect(after == before)
        #expect(after[0].result?.display == "42")
        #expect(after[1].properties["P"] == .bytes(Data([0, 1, 2])))
        #expect(after[1].exception?.type == "ExitStatus")
        #expect(after[1].standardError == "err\n")
        let jobs = try await scheduler.client.jobs()
        #expect(jobs.map(\.id) == [job])
        // New jobs get new numbers.
        let next = try await scheduler.submit(["true"])
        #expect(next == job + 1)
        try await scheduler.waitForJob(next)
        await scheduler.stop()
    }

    @Test("how a job's setup and teardown ended (exit, signal, problem) is there after a restart (issue 12)")
    func restartKeepsEnvironmentOutcomes() async throws {
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var scheduler = try await TestScheduler.start(directory: directory)
        // Its teardown exits 3 the first time, 4 after that (a retry's round).
        let rounds = directory.path + "/teardown-ran"
        let exited = try await scheduler.submit(["true"]) {
            $0.environment = EnvironmentSpec(
                setup: ["true"], teardown: ["sh", "-c", "[ -e \(rounds) ] && exit 4; touch \(rounds); exit 3"])
        }
        let killed = try await scheduler.submit(["true"]) {
            $0.environment = EnvironmentSpec(setup: ["sh", "-c", "kill -9 $$"], teardown: ["true"])
        }
        // Its teardown is there at submission and gone (removed by its task) when it is due.
        let vanishing = directory.path + "/vanishing-teardown"
        try "#!/bin/sh\n".write(toFile: vanishing, atomically: true, encoding: .utf8)
        chmod(vanishing, 0o755)
        let unstartable = try await scheduler.submit(["rm \(vanishing)"]) {
            $0.environment = EnvironmentSpec(teardown: [vanishing])
        }
        let jobs = [exited, killed, unstartable]
        // Done, and every teardown has ended (it runs after the job is done).
        func ended(_ info: JobInfo) -> Bool {
            info.isDone && [.succeeded, .failed].contains(info.teardown?.state)
        }
        var before: [JobInfo] = []
        for job in jobs { try await scheduler.waitForJob(job) }
        try await within {
            before = try await scheduler.client.jobs().filter { jobs.contains($0.id) }
            return before.count == 3 && before.allSatisfy(ended)
        }
        #expect(before.map(\.setup) == [
            EnvironmentStepInfo(state: .succeeded, exitCode: 0), EnvironmentStepInfo(state: .failed, signal: 9), nil,
        ])
        #expect(before[0].teardown == EnvironmentStepInfo(state: .failed, exitCode: 3))
        #expect(before[2].teardown?.state == .failed)
        #expect(before[2].teardown?.problem?.hasPrefix("could not start") == true)
        await scheduler.stop()

        scheduler = try await TestScheduler.start(directory: directory)
        let after = try await scheduler.client.jobs().filter { jobs.contains($0.id) }
        #expect(after.map(\.setup) == before.map(\.setup))
        #expect(after.map(\.teardown) == before.map(\.teardown))
        for job in jobs {
            let detail = try await scheduler.client.job(job)
            #expect(detail.setup == before.first { $0.id == job }?.setup)
            #expect(detail.teardown == before.first { $0.id == job }?.teardown)
        }

        // A retry runs the environment again: the new round's outcome replaces the stored one,
        // and a restart after it shows the new round, not the old.
        try await scheduler.client.retry(exited, 0)
        try await within {
            let info = try await scheduler.client.job(exited)
            return ended(info) && info.count(.completed) == 1
        }
        await scheduler.stop()
        scheduler = try await TestScheduler.start(directory: directory)
        let retried = try await scheduler.client.job(exited)
        #expect(retried.setup == EnvironmentStepInfo(state: .succeeded, exitCode: 0))
        #expect(retried.teardown == EnvironmentStepInfo(state: .failed, exitCode: 4))
        await scheduler.stop()

        // Edited by hand: a signal out of range and a teardown end that is not JSON are left out,
        // the job still comes back (its teardown, which had started, as `unknown`).
        let edit = "UPDATE jobs SET setup_end = '{\"signal\": 999}', teardown_end = 'garbage' WHERE id = \(killed)"
        let status = try await offPool { () throws -> Int32 in
            let sqlite = try Process.run(URL(fileURLWithPath: "/usr/bin/sqlite3"), arguments: [directory.databasePath, edit])
            sqlite.waitUntilExit()
            return sqlite.terminationStatus
        }
        #expect(status == 0)
        scheduler = try await TestScheduler.start(directory: directory)
        let edited = try await scheduler.client.job(killed)
        #expect(edited.setup == EnvironmentStepInfo(state: .failed))
        #expect(edited.teardown == EnvironmentStepInfo(state: .unknown))
        #expect(try await scheduler.client.job(exited).teardown?.exitCode == 4)
        await scheduler.stop()
    }

    @Test("tasks running at a graceful shutdown run again on the next start")
    func shutdownRequeues() async throws {
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var scheduler = try await TestScheduler.start(directory: directory)
        let marker = directory.path + "/ran"
        let job = try await scheduler.submit(["echo run >> \(marker); [ $(wc -l < \(marker)) -ge 2 ] || sleep 30"])
        try await scheduler.waitForTask(job, 0, .running)
        await scheduler.stop()
        scheduler = try await TestScheduler.start(directory: directory)
        let info = try await scheduler.waitForJob(job)
        #expect(info.count(.completed) == 1)
        let task = try await scheduler.client.task(job, 0)
        #expect(task.attempts == 2)
        #expect(task.interruptedRetryAttempts == 0)
        await scheduler.stop()
    }

    @Test("a second scheduler on the same state dir refuses to start")
    func lock() async throws {
        try await withScheduler { scheduler in
            do {
                _ = try await SchedulerServer.start(SchedulerConfiguration(stateDirectory: scheduler.directory))
                Issue.record("a second scheduler started")
            } catch {
                #expect("\(error)".contains("already running on \(scheduler.directory.path)"))
            }
            // The first one still answers.
            let pid = try await scheduler.client.status().pid
            #expect(pid == getpid())
        }
    }

    @Test("state dir 0700, socket 0600")
    func permissions() async throws {
        try await withScheduler { scheduler in
            var info = stat()
            stat(scheduler.directory.path, &info)
            #expect(info.st_mode & 0o777 == 0o700)
            stat(scheduler.directory.socketPath, &info)
            #expect(info.st_mode & 0o777 == 0o600)
        }
    }
}
