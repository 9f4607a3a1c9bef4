import Foundation
import GRDB
import TaskmonKit

/// The earlier attempts of retried tasks (`task_attempts`), and what each attempt's process used.
extension Store {
    static func migrateAttempts(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE tasks ADD COLUMN peak_rss INTEGER;
            ALTER TABLE tasks ADD COLUMN cpu_time REAL;
            CREATE TABLE task_attempts (
                job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                attempt INTEGER NOT NULL,
                status INTEGER NOT NULL,
                host TEXT,
                submitted_at REAL,
                assigned_at REAL,
                started_at REAL,
                finished_at REAL,
                exit_code INTEGER,
                signal INTEGER,
                progress TEXT,
                result TEXT,
                properties TEXT,
                exception TEXT,
                cancellation_message TEXT,
                cancellation_reason INTEGER NOT NULL,
                warnings TEXT,
                output_prefix TEXT,
                peak_rss INTEGER,
                cpu_time REAL,
                PRIMARY KEY (job_id, idx, attempt)
            ) WITHOUT ROWID;
            """)
    }

    /// Writes a task's kept attempts as they are now: the one just kept is added, any pushed
    /// out beyond the limit are deleted. In the transaction that records the task's new attempt.
    func writeAttempts(of task: TaskState, _ db: Database) throws {
        // Only a task at the limit can have pushed one out: retrying 10,000 tasks once costs one
        // insert each, not a delete too.
        if task.earlierAttempts.count >= AttemptSummary.keptLimit, let oldest = task.earlierAttempts.first?.attempt {
            try db.cachedStatement(sql: "DELETE FROM task_attempts WHERE job_id = ? AND idx = ? AND attempt < ?")
                .execute(arguments: [task.jobID, task.index, oldest])
        }
        let insert = try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO task_attempts (job_id, idx, attempt, status, host, submitted_at, assigned_at,
                started_at, finished_at, exit_code, signal, progress, result, properties, exception,
                cancellation_message, cancellation_reason, warnings, output_prefix, peak_rss, cpu_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        // All of them (at most the limit): batches merged while the disk was full may hold
        // several attempts kept since the last write.
        for record in task.earlierAttempts {
            let arguments: StatementArguments = [
                task.jobID, task.index, record.attempt, record.status.rawValue, record.host,
                record.submittedAt?.timeIntervalSinceReferenceDate, record.assignedAt?.timeIntervalSinceReferenceDate,
                record.startedAt?.timeIntervalSinceReferenceDate, record.finishedAt?.timeIntervalSinceReferenceDate,
                record.exitCode, record.signal, Self.json(record.progress), Self.json(record.result),
                record.properties.isEmpty ? nil : Self.json(record.properties), Self.json(record.exception),
                record.cancellationMessage, record.cancellationReason.rawValue,
                record.warnings.isEmpty ? nil : Self.json(record.warnings), record.outputPrefix, record.peakRSS, record.cpuTime,
            ]
            try insert.execute(arguments: arguments)
        }
    }

    /// Reads every kept attempt back onto its task, oldest first; a row that cannot be read is
    /// skipped with a problem noted (the task and its other attempts are still recovered).
    static func loadAttempts(
        into jobs: inout [JobID: JobState], problems: inout [String], _ db: Database, decoder: JSONDecoder
    ) throws {
        func decode<T: Decodable>(_ type: T.Type, _ row: Row, _ column: String) throws -> T? {
            guard let text: String = try row.decode(forColumn: column) else { return nil }
            return try decoder.decode(type, from: Data(text.utf8))
        }
        func date(_ row: Row, _ column: String) throws -> Date? {
            (try row.decode(Double?.self, forColumn: column)).map(Date.init(timeIntervalSinceReferenceDate:))
        }
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM task_attempts ORDER BY job_id, idx, attempt")
        while let row = try rows.next() {
            do {
                let jobID: JobID = try row.decode(forColumn: "job_id")
                let index: Int = try row.decode(forColumn: "idx")
                guard let job = jobs[jobID], index >= 0, index < job.tasks.count else { continue }
                let attempt: Int = try row.decode(forColumn: "attempt")
                let value: Int = try row.decode(forColumn: "status")
                guard let status = TaskStatus(rawValue: value) else { throw StoreRowError("unknown status \(value)") }
                guard attempt >= 1, attempt <= job.tasks[index].attempts else {
                    throw StoreRowError("attempt \(attempt) is not one the task has made")
                }
                var record = AttemptRecord(attempt: attempt, status: status)
                record.host = try row.decode(forColumn: "host")
                record.submittedAt = try date(row, "submitted_at")
                record.assignedAt = try date(row, "assigned_at")
                record.startedAt = try date(row, "started_at")
                record.finishedAt = try date(row, "finished_at")
                record.exitCode = try row.decode(forColumn: "exit_code")
                record.signal = try row.decode(forColumn: "signal")
                record.progress = try decode(TaskProgress.self, row, "progress")
                record.result = try decode(TaskResult.self, row, "result")
                record.properties = try decode([String: PropertyValue].self, row, "properties") ?? [:]
                record.exception = try decode(TaskException.self, row, "exception")
                record.cancellationMessage = try row.decode(forColumn: "cancellation_message")
                record.cancellationReason = CancellationReason(rawValue: try row.decode(forColumn: "cancellation_reason")) ?? .none
                record.warnings = try decode([String].self, row, "warnings") ?? []
                record.outputPrefix = try row.decode(forColumn: "output_prefix")
                record.peakRSS = try row.decode(forColumn: "peak_rss")
                record.cpuTime = try row.decode(forColumn: "cpu_time")
                jobs[jobID]!.tasks[index].earlierAttempts.append(record)
            } catch {
                problems.append("an earlier attempt of task \(rowID(row, "job_id"))/\(rowID(row, "idx")) skipped: \(error)")
            }
        }
        for id in jobs.keys {
            for index in jobs[id]!.tasks.indices where jobs[id]!.tasks[index].earlierAttempts.count > AttemptSummary.keptLimit {
                jobs[id]!.tasks[index].earlierAttempts.removeFirst(jobs[id]!.tasks[index].earlierAttempts.count - AttemptSummary.keptLimit)
            }
        }
    }
}
