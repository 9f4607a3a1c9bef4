import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Holds SQLite's write lock on a database until released, so that the scheduler's commits
/// wait (and then fail with "database is locked"): a slow or failing disk, on demand.
struct DatabaseLock {
    let pid: pid_t
    let gate: String
    let log: String

    static let script = """
        import os, sqlite3, sys, time
        db, gate = sys.argv[1], sys.argv[2]
        c = sqlite3.connect(db, timeout=30, isolation_level=None)
        c.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        deadline = time.time() + 120
        while not os.path.exists(gate) and time.time() < deadline:
            time.sleep(0.02)
        c.execute("ROLLBACK")
        """

    static func hold(_ database: String) throws -> DatabaseLock {
        let gate = database + ".release-\(getpid())"
        let log = database + ".locker-\(getpid()).log"
        let pid = try backgroundPython(script, [database, gate], log: log)
        let lock = DatabaseLock(pid: pid, gate: gate, log: log)
        let locked = eventually(20) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("locked") }
        #expect(locked, "the lock holder did not take the lock")
        return lock
    }

    func release() {
        _ = FileManager.default.createFile(atPath: gate, contents: nil)
        _ = Spawn.wait(pid)
        unlink(gate)
        unlink(log)
    }
}

@Suite("Issue 9: what is acknowledged is kept, ids are never given twice (real binary)", .serialized)
struct TrustDurabilityTests {
    @Test("a submit answered while the commit is stuck survives kill -9; otherwise it is not answered")
    func submitAnsweredOnlyWhenCommitted() async throws {
        try await offPool {
            let target = Target()
            defer { target.cleanUp() }
            try target.start()
            #expect(try target.taskmon(["submit", "--wait", "--", "true"]).status == 0)
            let lock = try DatabaseLock.hold(target.directory.databasePath)
            let submit = try target.taskmon(["submit", "--name", "acknowledged?", "--", "true"],
                                            environment: ["TASKMON_CLIENT_TIMEOUT": "3"], timeout: 30)
            target.crash()
            lock.release()
            try target.start()
            let jobs = try target.client().jobs()
            if submit.status == 0 {
                // Acknowledged: it must have been durable before the answer.
                let id = try #require(JobID(submit.stdout.split(separator: " ").dropFirst().first ?? ""))
                #expect(jobs.contains { $0.id == id }, "job \(id) was acknowledged (\(submit.stdout)) and then lost to kill -9")
            } else {
                #expect(submit.stderr.contains("did not answer") || submit.stderr.contains("not stored"), "\(submit.stderr)")
            }
            // Whatever happened, the next job has an id no one was ever told about.
            let next = try target.taskmon(["submit", "--", "true"])
            #expect(next.status == 0)
            if submit.status == 0 { #expect(!next.stdout.hasPrefix(submit.stdout.prefix(6)), "\(next.stdout) reused \(submit.stdout)") }
        }
    }

    @Test("a cancel answered while the commit is stuck survives kill -9")
    func cancelAnsweredOnlyWhenCommitted() async throws {
        try await offPool {
            let target = Target()
            defer { target.cleanUp() }
            try target.start()
            #expect(try target.taskmon(["submit", "--max-interrupted-retries", "3", "--", "sleep", "60"]).status == 0)
            #expect(try eventually { try target.client().task(1, 0).status == .running })
            let lock = try DatabaseLock.hold(target.directory.databasePath)
            let cancel = try target.taskmon(["cancel", "1"], environment: ["TASKMON_CLIENT_TIMEOUT": "3"], timeout: 30)
            target.crash()
            lock.release()
            try target.start()
            let task = try target.client().task(1, 0)
            if cancel.status == 0 {
                #expect(task.status == .canceled, "the cancel was answered (\(cancel.stdout)) but the task is \(task.status.name) after kill -9")
            }
            try target.taskmon(["cancel", "1"])
        }
    }

    @Test("with taskmon.db deleted and output/ kept, a new job gets a new id and never another job's output")
    func databaseDeletedOutputKept() async throws {
        try await offPool {
            let target = Target()
            defer { target.cleanUp() }
            try target.start()
            #expect(try target.taskmon(["submit", "--wait", "--", "sh", "-c", "echo secret-of-the-first-job"]).status == 0)
            target.stop()
            for suffix in ["", "-wal", "-shm"] { unlink(target.directory.databasePath + suffix) }
            try target.start()
            let submit = try target.taskmon(["submit", "--wait", "--json", "--", "true"])
            #expect(submit.status == 0, "\(submit.stderr)")
            let job = try #require(try target.client().jobs().first)
            #expect(job.id != 1, "the id of a job whose output is still on disk was given again")
            let shown = try target.taskmon(["show", "\(job.id)/0"])
            #expect(!shown.stdout.contains("secret-of-the-first-job"), "\(shown.stdout)")
            // The old job's files are left alone.
            #expect(FileManager.default.fileExists(atPath: target.directory.jobOutputPath(1) + "/0.stdout"))
        }
    }

    @Test("a bad row in the database does not stop recovery: the others come back, it is reported")
    func badRowsAtRecovery() async throws {
        try await offPool {
            let target = Target()
            defer { target.cleanUp() }
            try target.start()
            #expect(try target.taskmon(["submit", "--wait", "--", "sh", "-c", "echo kept"]).status == 0)
            target.stop()
            let now = Date().timeIntervalSinceReferenceDate
            let insert = """
                INSERT INTO jobs (id, name, description, priority, task_timeout, max_interrupted_retries, cancel_on_task_failure, environment, submitted_at, finished_at, setup_state, teardown_started, warnings) VALUES (2, 'huge timeout', NULL, 2, 1e16, 3, 0, NULL, \(now), NULL, 'pending', 0, NULL);
                INSERT INTO tasks (job_id, idx, name, command, status, attempts, interrupted_retry_attempts, submitted_at, cancellation_reason)
                    VALUES (2, 0, NULL, '["sh","-c","echo recovered"]', 1, 0, 0, \(now), 0);
                INSERT INTO jobs (id, name, description, priority, task_timeout, max_interrupted_retries, cancel_on_task_failure, environment, submitted_at, finished_at, setup_state, teardown_started, warnings) VALUES (3, 'garbage', NULL, 2, NULL, 3, 0, NULL, \(now), NULL, 'pending', 0, NULL);
                INSERT INTO tasks (job_id, idx, name, command, status, attempts, interrupted_retry_attempts, pid, submitted_at, cancellation_reason)
                    VALUES (3, 0, NULL, '["true"]', 1, 0, 0, 1099511627776, \(now), 0);
                """
            let sqlite = try run("/usr/bin/sqlite3", [target.directory.databasePath, insert])
            #expect(sqlite.status == 0, "\(sqlite.stderr)")
            #expect(try target.start(), "the scheduler did not come back: \(target.log)")
            #expect(target.alive)
            let client = try target.client()
            #expect(try client.task(1, 0).standardOutput == "kept\n")
            let recovered = try #require(try target.client().waitUntilDone(2, timeout: 30))
            #expect(recovered.count(.completed) == 1)
            #expect(recovered.warnings.contains { $0.contains("task timeout") })
            #expect(throws: SchedulerClientError.self) { try client.job(3) }
            #expect(target.log.contains("job 3 skipped"))
            // Ids go on above every row ever stored, the skipped one included.
            let next = try target.taskmon(["submit", "--", "true"])
            #expect(next.stdout.hasPrefix("job 4 "), "\(next.stdout)")
        }
    }
}
