import Foundation
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
