import Foundation
import GRDB
import TaskmonKit

/// The durable copy of every job, task and event: SQLite in WAL mode under the state dir.
///
/// The scheduler keeps its working state in memory and writes each pass's changes here in
/// one transaction before it publishes them; on start it reads everything back.
final class Store: Sendable {
    private let pool: DatabasePool
    private static let jsonEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "taskmon"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a scheduler crash; only a power loss may lose the last ones.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE jobs (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    description TEXT,
                    priority INTEGER NOT NULL,
                    task_timeout REAL,
                    max_interrupted_retries INTEGER NOT NULL,
                    cancel_on_task_failure INTEGER NOT NULL,
                    environment TEXT,
                    submitted_at REAL NOT NULL,
                    finished_at REAL,
                    setup_state TEXT NOT NULL,
                    teardown_started INTEGER NOT NULL,
                    warnings TEXT
                );
                CREATE TABLE tasks (
                    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
                    idx INTEGER NOT NULL,
                    name TEXT,
                    command TEXT NOT NULL,
                    env TEXT,
                    cwd TEXT,
                    status INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    interrupted_retry_attempts INTEGER NOT NULL,
                    pid INTEGER,
                    submitted_at REAL,
                    assigned_at REAL,
                    started_at REAL,
                    finished_at REAL,
                    exit_code INTEGER,
                    signal INTEGER,
                    progress_percent INTEGER,
                    progress_info TEXT,
                    result TEXT,
                    exception TEXT,
                    cancellation_message TEXT,
                    cancellation_reason INTEGER NOT NULL,
                    warnings TEXT,
                    output_prefix TEXT,
                    PRIMARY KEY (job_id, idx)
                ) WITHOUT ROWID;
                CREATE TABLE properties (
                    job_id INTEGER NOT NULL,
                    idx INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    type TEXT NOT NULL,
                    value BLOB,
                    PRIMARY KEY (job_id, idx, name)
                ) WITHOUT ROWID;
                CREATE TABLE events (
                    seq INTEGER PRIMARY KEY,
                    time REAL NOT NULL,
                    json BLOB NOT NULL
                );
                """)
        }
        migrator.registerMigration("v2-task-host") { db in
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN host TEXT")
        }
        // Where a cluster runs the task (its Slurm id), so that a restart can adopt the run,
        // and why it waits there.
        migrator.registerMigration("v3-run-detail") { db in
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN run_detail TEXT")
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN message TEXT")
        }
        return migrator
    }

    // MARK: Writing

    /// Writes a pass's changes atomically.
    func commit(_ batch: StoreBatch) throws {
        guard !batch.isEmpty else { return }
        try pool.write { db in
            for job in batch.newJobs {
                try insert(job: job, db)
            }
            for job in batch.jobs.values {
                try update(job: job, db)
            }
            if !batch.tasks.isEmpty {
                let statement = try db.cachedStatement(sql: Self.updateTaskSQL)
                for task in batch.tasks.values {
                    try statement.execute(arguments: Self.mutableColumns(task) + [task.jobID, task.index])
                }
            }
            for key in batch.propertiesChanged {
                guard let task = batch.tasks[key] else { continue }
                try writeProperties(of: task, db)
            }
            if !batch.events.isEmpty {
                let statement = try db.cachedStatement(sql: "INSERT INTO events (seq, time, json) VALUES (?, ?, ?)")
                for event in batch.events {
                    try statement.execute(arguments: [Int64(event.seq), event.time.timeIntervalSinceReferenceDate, event.json])
                }
            }
        }
    }

    private func insert(job: JobState, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO jobs (id, name, description, priority, task_timeout, max_interrupted_retries,
                    cancel_on_task_failure, environment, submitted_at, finished_at, setup_state, teardown_started)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                job.id, job.name, job.description, job.priority.rawValue, job.taskTimeout, job.maxInterruptedRetries,
                job.cancelOnTaskFailure, Self.json(job.environment), job.submittedAt.timeIntervalSinceReferenceDate,
                job.finishedAt?.timeIntervalSinceReferenceDate, job.setup.rawValue, job.teardownStarted,
            ])
        let statement = try db.cachedStatement(sql: """
            INSERT INTO tasks (job_id, idx, name, command, env, cwd, status, attempts, interrupted_retry_attempts,
                pid, submitted_at, assigned_at, started_at, finished_at, exit_code, signal, progress_percent,
                progress_info, result, exception, cancellation_message, cancellation_reason, warnings, output_prefix, host,
                run_detail, message)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for task in job.tasks {
            let fixed: StatementArguments = [
                task.jobID, task.index, task.name, Self.json(task.command),
                task.env.isEmpty ? nil : Self.json(task.env), task.cwd,
            ]
            try statement.execute(arguments: fixed + Self.mutableColumns(task))
        }
    }

    private func update(job: JobState, _ db: Database) throws {
        try db.execute(
            sql: "UPDATE jobs SET finished_at = ?, setup_state = ?, teardown_started = ?, warnings = ? WHERE id = ?",
            arguments: [
                job.finishedAt?.timeIntervalSinceReferenceDate, job.setup.rawValue, job.teardownStarted,
                job.warnings.isEmpty ? nil : Self.json(job.warnings), job.id,
            ])
    }

    private static let updateTaskSQL = """
        UPDATE tasks SET status = ?, attempts = ?, interrupted_retry_attempts = ?, pid = ?, submitted_at = ?,
            assigned_at = ?, started_at = ?, finished_at = ?, exit_code = ?, signal = ?, progress_percent = ?,
            progress_info = ?, result = ?, exception = ?, cancellation_message = ?, cancellation_reason = ?,
            warnings = ?, output_prefix = ?, host = ?, run_detail = ?, message = ?
        WHERE job_id = ? AND idx = ?
        """

    /// The columns that change while a task lives, in the order of `updateTaskSQL`.
    private static func mutableColumns(_ task: TaskState) -> StatementArguments {
        [
            task.status.rawValue, task.attempts, task.interruptedRetryAttempts, task.pid,
            task.submittedAt?.timeIntervalSinceReferenceDate, task.assignedAt?.timeIntervalSinceReferenceDate,
            task.startedAt?.timeIntervalSinceReferenceDate, task.finishedAt?.timeIntervalSinceReferenceDate,
            task.exitCode, task.signal, task.progress?.percent, task.progress?.info,
            task.result.flatMap(json), task.exception.flatMap(json), task.cancellationMessage,
            task.cancellationReason.rawValue, task.warnings.isEmpty ? nil : json(task.warnings), task.outputPrefix, task.host,
            task.runDetail.flatMap(json), task.message,
        ]
    }

    private func writeProperties(of task: TaskState, _ db: Database) throws {
        try db.execute(sql: "DELETE FROM properties WHERE job_id = ? AND idx = ?", arguments: [task.jobID, task.index])
        let statement = try db.cachedStatement(sql: "INSERT INTO properties (job_id, idx, name, type, value) VALUES (?, ?, ?, ?, ?)")
        for (name, value) in task.properties {
            let stored: DatabaseValueConvertible
            switch value {
            case .string(let text): stored = text
            case .int(let number): stored = number
            case .float(let number): stored = number
            case .bytes(let data): stored = data
            }
            try statement.execute(arguments: [task.jobID, task.index, name, value.typeName, stored])
        }
    }

    private static func json<T: Encodable>(_ value: T?) -> String? {
        guard let value, let data = try? jsonEncoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    // MARK: Reading

    /// Everything needed to resume: all jobs with their tasks, and the last event's number.
    struct Snapshot: Sendable {
        var jobs: [JobState]
        var lastSeq: UInt64
    }

    func load() throws -> Snapshot {
        try pool.read { db in
            let decoder = JSONDecoder()
            var jobs: [JobID: JobState] = [:]
            var order: [JobID] = []
            let cursor1 = try Row.fetchCursor(db, sql: "SELECT * FROM jobs ORDER BY id")
            while let row = try cursor1.next() {
                let id: JobID = row["id"]
                let environmentJSON: String? = row["environment"]
                jobs[id] = JobState(
                    id: id, name: row["name"], description: row["description"],
                    priority: JobPriority(rawValue: row["priority"]) ?? .normal,
                    taskTimeout: row["task_timeout"], maxInterruptedRetries: row["max_interrupted_retries"],
                    cancelOnTaskFailure: row["cancel_on_task_failure"],
                    environment: environmentJSON.flatMap { try? decoder.decode(EnvironmentSpec.self, from: Data($0.utf8)) },
                    submittedAt: Date(timeIntervalSinceReferenceDate: row["submitted_at"]),
                    finishedAt: (row["finished_at"] as Double?).map(Date.init(timeIntervalSinceReferenceDate:)),
                    setup: SetupState(rawValue: row["setup_state"]) ?? .pending,
                    teardownStarted: row["teardown_started"],
                    warnings: (row["warnings"] as String?).flatMap { try? decoder.decode([String].self, from: Data($0.utf8)) } ?? [],
                    tasks: [])
                order.append(id)
            }
            let cursor2 = try Row.fetchCursor(db, sql: "SELECT * FROM tasks ORDER BY job_id, idx")
            while let row = try cursor2.next() {
                let jobID: JobID = row["job_id"]
                guard jobs[jobID] != nil else { continue }
                jobs[jobID]!.tasks.append(Self.task(from: row, decoder: decoder))
            }
            let cursor3 = try Row.fetchCursor(db, sql: "SELECT * FROM properties")
            while let row = try cursor3.next() {
                let jobID: JobID = row["job_id"]
                let index: Int = row["idx"]
                guard let job = jobs[jobID], index < job.tasks.count else { continue }
                let name: String = row["name"]
                let value: PropertyValue?
                switch row["type"] as String {
                case "string": value = .string(row["value"])
                case "int": value = .int(row["value"])
                case "float": value = .float(row["value"])
                case "bytes": value = .bytes(row["value"] ?? Data())
                default: value = nil
                }
                jobs[jobID]!.tasks[index].properties[name] = value
            }
            let lastSeq = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0
            var loaded: [JobState] = []
            for id in order {
                var job = jobs[id]!
                job.recount()
                loaded.append(job)
            }
            return Snapshot(jobs: loaded, lastSeq: UInt64(lastSeq))
        }
    }

    private static func task(from row: Row, decoder: JSONDecoder) -> TaskState {
        func decode<T: Decodable>(_ type: T.Type, _ column: String) -> T? {
            guard let text: String = row[column] else { return nil }
            return try? decoder.decode(type, from: Data(text.utf8))
        }
        func date(_ column: String) -> Date? {
            (row[column] as Double?).map(Date.init(timeIntervalSinceReferenceDate:))
        }
        let percent: Int? = row["progress_percent"]
        var task = TaskState(
            jobID: row["job_id"], index: row["idx"], name: row["name"],
            command: decode([String].self, "command") ?? [], env: decode([String: String].self, "env") ?? [:],
            cwd: row["cwd"], status: TaskStatus(rawValue: row["status"]) ?? .submitted,
            attempts: row["attempts"], interruptedRetryAttempts: row["interrupted_retry_attempts"], pid: row["pid"],
            submittedAt: date("submitted_at"), assignedAt: date("assigned_at"), startedAt: date("started_at"),
            finishedAt: date("finished_at"), exitCode: row["exit_code"], signal: row["signal"],
            progress: percent.map { TaskProgress(percent: $0, info: row["progress_info"]) },
            result: decode(TaskResult.self, "result"), properties: [:],
            exception: decode(TaskException.self, "exception"), cancellationMessage: row["cancellation_message"],
            cancellationReason: CancellationReason(rawValue: row["cancellation_reason"]) ?? .none,
            warnings: decode([String].self, "warnings") ?? [], outputPrefix: row["output_prefix"])
        task.host = row["host"]
        task.runDetail = decode(RunDetail.self, "run_detail")
        task.message = row["message"]
        return task
    }

    /// Stored events after `seq`, oldest first, at most `limit`.
    func events(after seq: UInt64, limit: Int) throws -> [EncodedEvent] {
        try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, time, json FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                arguments: [Int64(seq), limit]
            ).map { row in
                EncodedEvent(seq: UInt64(row["seq"] as Int64), time: Date(timeIntervalSinceReferenceDate: row["time"]), json: row["json"])
            }
        }
    }
}
