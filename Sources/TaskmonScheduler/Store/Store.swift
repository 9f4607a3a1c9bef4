import Foundation
import GRDB
import GRDBSQLite
import Logging
import Synchronization
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

    /// - Parameter maxStoredEvents: events kept for replay; older ones are pruned.
    init(path: String, maxStoredEvents: Int = Store.defaultMaxStoredEvents) throws {
        self.maxStoredEvents = Int64(max(1, maxStoredEvents))
        var configuration = Configuration()
        configuration.label = "taskmon"
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL + NORMAL: a commit survives a scheduler crash; only a power loss may lose the last ones.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A WAL that grew while the disk was full (failed commits, checkpoints that could
            // not copy) gives its space back once a checkpoint goes through.
            try db.execute(sql: "PRAGMA journal_size_limit = 16777216")
        }
        // Created here, not by SQLite, so that it is 0600 whatever the umask and never a link
        // someone left in the state dir (SQLite gives -wal and -shm the database's mode).
        try SafeFile.createPrivateFileIfMissing(path)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
        oldestEvent = Mutex(try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events") } ?? 0)
    }

    /// Events kept in the database for replay by default; older ones are pruned (a subscriber
    /// asking for them gets a resync notice). 500,000 progress lines must not mean 85 MB for ever.
    static let defaultMaxStoredEvents = 200_000
    let maxStoredEvents: Int64
    /// The oldest event kept (as far as this store knows); pruning runs once a quarter of the
    /// limit has piled up on top of it: one indexed DELETE now and then, not one per commit.
    private let oldestEvent: Mutex<Int64>
    /// What was last written of each live task's properties, so that a commit writes only
    /// what changed (rewriting all of them each time made 200,000 properties quadratic).
    private let writtenProperties = Mutex<[TaskKey: [String: PropertyValue]]>([:])

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
        migrator.registerMigration("v2-meta") { db in
            // The job-id high-water mark: ids are never given twice, even once jobs are gone.
            try db.execute(sql: "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID")
            try db.execute(sql: """
                INSERT INTO meta (key, value) SELECT 'job_id_high_water', COALESCE(MAX(id), 0) FROM jobs
                """)
        }
        migrator.registerMigration("v2-task-host") { db in
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN host TEXT")
        }
        migrator.registerMigration("v3-python-hosts") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN host TEXT; ALTER TABLE tasks ADD COLUMN python TEXT")
        }
        // Where a cluster runs the task (its Slurm id), so that a restart can adopt the run,
        // and why it waits there.
        migrator.registerMigration("v3-run-detail") { db in
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN run_detail TEXT")
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN message TEXT")
        }
        migrator.registerMigration("v4-task-attempts") { db in
            try Self.migrateAttempts(db)
        }
        // Cores and memory each task of a job needs (``TaskResources``), as JSON.
        migrator.registerMigration("v4-job-resources") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN resources TEXT; ALTER TABLE tasks ADD COLUMN resources TEXT")
        }
        // What a job's runs start from (its submitter's environment, or the minimal base), so
        // that retries and a restart run them in the same one.
        migrator.registerMigration("v4-job-base-env") { db in
            try db.execute(sql: "ALTER TABLE jobs ADD COLUMN base_env TEXT")
        }
        // How the environment setup and teardown ended (exit status, signal, problem), so that
        // a restart does not turn them into `unknown`.
        migrator.registerMigration("v5-environment-steps") { db in
            try Self.migrateEnvironmentSteps(db)
        }
        return migrator
    }

    // MARK: Writing

    /// Writes a pass's changes atomically.
    func commit(_ batch: StoreBatch) throws {
        guard !batch.isEmpty else { return }
        let written = try pool.writeWithoutTransaction { db in
            try Self.inImmediateTransaction(db) { try write(batch, db) }
        }
        // Remembered only once committed: a failed commit is written again whole.
        writtenProperties.withLock { cache in
            for (key, properties) in written { cache[key] = properties }
        }
    }

    /// `body` in one BEGIN IMMEDIATE … COMMIT, both prepared once for the connection: GRDB's
    /// `write` parses "BEGIN IMMEDIATE TRANSACTION" anew for every transaction, which was a
    /// twentieth of the scheduler's CPU for a job of short tasks. Rolled back when `body` or the
    /// commit throws (a full disk), so that the batch is written again whole.
    private static func inImmediateTransaction<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN IMMEDIATE TRANSACTION").execute()
        do {
            let result = try body()
            try db.cachedStatement(sql: "COMMIT TRANSACTION").execute()
            return result
        } catch {
            if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK TRANSACTION") }
            throw error
        }
    }

    /// The batch's rows and events, inside the commit's transaction; returns the properties
    /// written, for ``writtenProperties``.
    private func write(_ batch: StoreBatch, _ db: Database) throws -> [TaskKey: [String: PropertyValue]?] {
        var written: [TaskKey: [String: PropertyValue]?] = [:]
        for job in batch.newJobs {
            try insert(job: job, db)
        }
        if let highest = batch.newJobs.map(\.id).max() {
            try db.execute(
                sql: "UPDATE meta SET value = MAX(value, ?) WHERE key = 'job_id_high_water'", arguments: [highest])
        }
        for job in batch.jobs.values {
            try update(job: job, db)
        }
        if !batch.tasks.isEmpty {
            let statement = try db.cachedStatement(sql: Self.updateTaskSQL)
            for task in batch.tasks.values {
                var row = PreparedRow(statement)
                Self.bindMutableColumns(of: task, to: &row)
                row.bind(task.jobID)
                row.bind(task.index)
                try row.run()
            }
        }
        for key in batch.propertiesChanged {
            guard let task = batch.tasks[key] else { continue }
            written.updateValue(try writeProperties(of: task, db), forKey: key)
        }
        for key in batch.attemptsChanged {
            guard let task = batch.tasks[key] else { continue }
            try writeAttempts(of: task, db)
        }
        if !batch.events.isEmpty {
            let statement = try db.cachedStatement(sql: "INSERT INTO events (seq, time, json) VALUES (?, ?, ?)")
            for event in batch.events {
                var row = PreparedRow(statement)
                row.bind(Int64(event.seq))
                row.bind(event.time)
                row.bind(event.json)
                try row.run()
            }
        }
        if let last = batch.events.last.map({ Int64($0.seq) }) {
            let oldest = oldestEvent.withLock { $0 }
            if last - oldest >= maxStoredEvents + max(1, maxStoredEvents / 4) {
                try pruneEvents(before: last - maxStoredEvents, db)
                oldestEvent.withLock { $0 = last - maxStoredEvents + 1 }
            }
        }
        return written
    }

    /// Deletes the events numbered up to `seq`.
    private func pruneEvents(before seq: Int64, _ db: Database) throws {
        guard seq > 0 else { return }
        try db.execute(sql: "DELETE FROM events WHERE seq <= ?", arguments: [seq])
    }

    /// The oldest stored event's number (0 when there is none).
    func oldestStoredEvent() throws -> UInt64 {
        UInt64(max(0, try pool.read { db in try Int64.fetchOne(db, sql: "SELECT MIN(seq) FROM events") } ?? 0))
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
                run_detail, message, peak_rss, cpu_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for task in job.tasks {
            var row = PreparedRow(statement)
            row.bind(task.jobID)
            row.bind(task.index)
            row.bind(task.name)
            row.bind(Self.json(task.command))
            row.bind(task.env.isEmpty ? nil : Self.json(task.env))
            row.bind(task.cwd)
            Self.bindMutableColumns(of: task, to: &row)
            try row.run()
        }
        try insertHosting(of: job, db)
        if let resources = job.resources {
            try db.execute(sql: "UPDATE jobs SET resources = ? WHERE id = ?", arguments: [Self.json(resources), job.id])
        }
        if job.tasks.contains(where: { $0.resources != nil }) {
            let statement = try db.cachedStatement(sql: "UPDATE tasks SET resources = ? WHERE job_id = ? AND idx = ?")
            for task in job.tasks where task.resources != nil {
                try statement.execute(arguments: [Self.json(task.resources), task.jobID, task.index])
            }
        }
        if let base = job.baseEnvironment {
            try db.execute(sql: "UPDATE jobs SET base_env = ? WHERE id = ?", arguments: [Self.json(base), job.id])
        }
        try insertEnvironmentSteps(of: job, db)
    }

    /// A job's host spec and its tasks' Python payloads (only jobs with Python tasks have them).
    private func insertHosting(of job: JobState, _ db: Database) throws {
        guard job.host != nil || job.tasks.contains(where: { $0.python != nil }) else { return }
        try db.execute(sql: "UPDATE jobs SET host = ? WHERE id = ?", arguments: [Self.json(job.host), job.id])
        let statement = try db.cachedStatement(sql: "UPDATE tasks SET python = ? WHERE job_id = ? AND idx = ?")
        for task in job.tasks where task.python != nil {
            try statement.execute(arguments: [task.python, task.jobID, task.index])
        }
    }

    private func update(job: JobState, _ db: Database) throws {
        try db.execute(
            sql: """
                UPDATE jobs SET finished_at = ?, setup_state = ?, teardown_started = ?, warnings = ?,
                    setup_end = ?, teardown_end = ?
                WHERE id = ?
                """,
            arguments: [
                job.finishedAt?.timeIntervalSinceReferenceDate, job.setup.rawValue, job.teardownStarted,
                job.warnings.isEmpty ? nil : Self.json(job.warnings),
            ] + Self.environmentStepColumns(job) + [job.id])
    }

    private static let updateTaskSQL = """
        UPDATE tasks SET status = ?, attempts = ?, interrupted_retry_attempts = ?, pid = ?, submitted_at = ?,
            assigned_at = ?, started_at = ?, finished_at = ?, exit_code = ?, signal = ?, progress_percent = ?,
            progress_info = ?, result = ?, exception = ?, cancellation_message = ?, cancellation_reason = ?,
            warnings = ?, output_prefix = ?, host = ?, run_detail = ?, message = ?, peak_rss = ?, cpu_time = ?
        WHERE job_id = ? AND idx = ?
        """

    /// Binds the columns that change while a task lives, in the order of `updateTaskSQL`.
    private static func bindMutableColumns(of task: TaskState, to row: inout PreparedRow) {
        row.bind(task.status.rawValue)
        row.bind(task.attempts)
        row.bind(task.interruptedRetryAttempts)
        row.bind(task.pid)
        row.bind(task.submittedAt)
        row.bind(task.assignedAt)
        row.bind(task.startedAt)
        row.bind(task.finishedAt)
        row.bind(task.exitCode)
        row.bind(task.signal)
        row.bind(task.progress?.percent)
        row.bind(task.progress?.info)
        row.bind(task.result.flatMap(json))
        row.bind(task.exception.flatMap(json))
        row.bind(task.cancellationMessage)
        row.bind(task.cancellationReason.rawValue)
        row.bind(task.warnings.isEmpty ? nil : json(task.warnings))
        row.bind(task.outputPrefix)
        row.bind(task.host)
        row.bind(task.runDetail.flatMap(json))
        row.bind(task.message)
        row.bind(task.peakRSS)
        row.bind(task.cpuTime)
    }

    /// Writes the properties that changed since the last write of this task: each commit
    /// costs what changed, not all a task has recorded so far.
    private func writeProperties(of task: TaskState, _ db: Database) throws -> [String: PropertyValue]? {
        let key = task.key
        let previous = writtenProperties.withLock { $0[key] }
        let insert = try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO properties (job_id, idx, name, type, value) VALUES (?, ?, ?, ?, ?)")
        if let previous {
            let delete = try db.cachedStatement(sql: "DELETE FROM properties WHERE job_id = ? AND idx = ? AND name = ?")
            for name in previous.keys where task.properties[name] == nil {
                try delete.execute(arguments: [task.jobID, task.index, name])
            }
        } else {
            try db.execute(sql: "DELETE FROM properties WHERE job_id = ? AND idx = ?", arguments: [task.jobID, task.index])
        }
        for (name, value) in task.properties where previous?[name] != value {
            let stored: DatabaseValueConvertible
            switch value {
            case .string(let text): stored = text
            case .int(let number): stored = number
            case .float(let number): stored = number
            case .bytes(let data): stored = data
            }
            try insert.execute(arguments: [task.jobID, task.index, name, value.typeName, stored])
        }
        // Only tasks that may still record properties are remembered; a finished one's are
        // written whole again should it ever run once more.
        let live = task.status == .running || task.status == .assigned || task.status == .canceling
        return live ? task.properties : nil
    }

    static func json<T: Encodable>(_ value: T?) -> String? {
        guard let value, let data = try? jsonEncoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    /// A list of strings (a task's command, its warnings) as JSON, written by hand: every task
    /// of a job has its command stored, and a `JSONEncoder` a row was two fifths of the commit
    /// thread's time for a 100,000-task submit. The same text a decoder reads back, with the
    /// escaping the events use (``EventJSON``).
    static func json(_ strings: [String]) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(strings.reduce(2) { $0 + $1.utf8.count + 3 })
        out.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            EventJSON.appendString(&out, string)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Reading

    /// Everything needed to resume: all jobs with their tasks, and the last event's number.
    struct Snapshot: Sendable {
        var jobs: [JobState]
        var lastSeq: UInt64
        /// The highest job id ever given (also of jobs no longer stored): the next is above it.
        var jobIDHighWater: JobID = 0
        /// Rows that could not be read, each said in a sentence; recovery goes on without them.
        var problems: [String] = []
    }

    /// Reads everything back. A row that cannot be read (a value out of range, a wrong type,
    /// written by a broken build or edited by hand) is skipped with a problem noted, never
    /// fatal: one bad row must not keep every other job from being recovered.
    func load() throws -> Snapshot {
        try pool.read { db in
            let decoder = JSONDecoder()
            var problems: [String] = []
            var jobs: [JobID: JobState] = [:]
            var order: [JobID] = []
            var lastBaseEnvironment: [String: String]?
            let jobRows = try Row.fetchCursor(db, sql: "SELECT * FROM jobs ORDER BY id")
            while let row = try jobRows.next() {
                do {
                    var job = try Self.job(from: row, decoder: decoder)
                    let hostJSON: String? = try? row.decode(forColumn: "host")
                    job.host = hostJSON.flatMap { try? decoder.decode(HostSpec.self, from: Data($0.utf8)) }
                    let resourcesJSON: String? = try? row.decode(forColumn: "resources")
                    job.resources = resourcesJSON.flatMap { try? decoder.decode(TaskResources.self, from: Data($0.utf8)) }
                    if let problem = Self.loadBaseEnvironment(row, into: &job, decoder: decoder, sharing: &lastBaseEnvironment) {
                        problems.append(problem)
                    }
                    if let problem = Self.loadEnvironmentSteps(row, into: &job, decoder: decoder) { problems.append(problem) }
                    if let problem = Self.sanitize(&job) { problems.append(problem) }
                    jobs[job.id] = job
                    order.append(job.id)
                } catch {
                    problems.append("job row \(Self.rowID(row, "id")) skipped: \(error)")
                }
            }
            let taskRows = try Row.fetchCursor(db, sql: "SELECT * FROM tasks ORDER BY job_id, idx")
            var badJobs: Set<JobID> = []
            while let row = try taskRows.next() {
                let jobID: JobID? = try? row.decode(forColumn: "job_id")
                if let jobID, badJobs.contains(jobID) || jobs[jobID] == nil { continue }
                do {
                    let task = try Self.task(from: row, decoder: decoder)
                    guard let job = jobs[task.jobID] else { continue }
                    // Tasks are indices into their job: a gap would shift every later one.
                    guard task.index == job.tasks.count else {
                        throw StoreRowError("task \(task.jobID)/\(task.index) found where task \(job.tasks.count) belongs")
                    }
                    jobs[task.jobID]!.tasks.append(task)
                } catch {
                    problems.append("job \(jobID.map(String.init) ?? "?") skipped: its task row \(Self.rowID(row, "idx")) cannot be read: \(error)")
                    if let jobID { badJobs.insert(jobID) }
                }
            }
            for id in badJobs { jobs[id] = nil }
            let propertyRows = try Row.fetchCursor(db, sql: "SELECT * FROM properties")
            while let row = try propertyRows.next() {
                do {
                    let jobID: JobID = try row.decode(forColumn: "job_id")
                    let index: Int = try row.decode(forColumn: "idx")
                    guard let job = jobs[jobID], index >= 0, index < job.tasks.count else { continue }
                    let name: String = try row.decode(forColumn: "name")
                    let type: String = try row.decode(forColumn: "type")
                    let value: PropertyValue
                    switch type {
                    case "string": value = .string(try row.decode(forColumn: "value"))
                    case "int": value = .int(try row.decode(forColumn: "value"))
                    case "float": value = .float(try row.decode(forColumn: "value"))
                    case "bytes": value = .bytes((try row.decode(Data?.self, forColumn: "value")) ?? Data())
                    default: throw StoreRowError("unknown property type \(type)")
                    }
                    jobs[jobID]!.tasks[index].properties[name] = value
                } catch {
                    problems.append("a property of task \(Self.rowID(row, "job_id"))/\(Self.rowID(row, "idx")) skipped: \(error)")
                }
            }
            try Self.loadAttempts(into: &jobs, problems: &problems, db, decoder: decoder)
            let lastSeq = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM events") ?? 0
            let mark = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'job_id_high_water'") ?? 0
            let highestRow = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM jobs") ?? 0
            var loaded: [JobState] = []
            for id in order {
                guard var job = jobs[id] else { continue }
                guard !job.tasks.isEmpty else {
                    problems.append("job \(id) skipped: it has no task rows")
                    continue
                }
                job.recount()
                loaded.append(job)
            }
            return Snapshot(
                jobs: loaded, lastSeq: UInt64(max(0, lastSeq)), jobIDHighWater: max(mark, highestRow), problems: problems)
        }
    }

    static func rowID(_ row: Row, _ column: String) -> String {
        ((try? row.decode(Int64?.self, forColumn: column)) ?? nil).map(String.init) ?? "?"
    }

    private static func job(from row: Row, decoder: JSONDecoder) throws -> JobState {
        let id: JobID = try row.decode(forColumn: "id")
        guard id >= 1 else { throw StoreRowError("job id \(id) is not positive") }
        let environmentJSON: String? = try row.decode(forColumn: "environment")
        let priority: Int = try row.decode(forColumn: "priority")
        let setup: String = try row.decode(forColumn: "setup_state")
        let finishedAt: Double? = try row.decode(forColumn: "finished_at")
        let warnings: String? = try row.decode(forColumn: "warnings")
        return JobState(
            id: id, name: try row.decode(forColumn: "name"), description: try row.decode(forColumn: "description"),
            priority: JobPriority(rawValue: priority) ?? .normal,
            taskTimeout: try row.decode(forColumn: "task_timeout"),
            maxInterruptedRetries: try row.decode(forColumn: "max_interrupted_retries"),
            cancelOnTaskFailure: try row.decode(forColumn: "cancel_on_task_failure"),
            environment: try environmentJSON.map { try decoder.decode(EnvironmentSpec.self, from: Data($0.utf8)) },
            submittedAt: Date(timeIntervalSinceReferenceDate: try row.decode(forColumn: "submitted_at")),
            finishedAt: finishedAt.map(Date.init(timeIntervalSinceReferenceDate:)),
            setup: SetupState(rawValue: setup) ?? .pending,
            teardownStarted: try row.decode(forColumn: "teardown_started"),
            warnings: try warnings.map { try decoder.decode([String].self, from: Data($0.utf8)) } ?? [],
            tasks: [])
    }

    /// The job's stored base environment; one that cannot be read (edited by hand) gives the
    /// minimal base and a note. Jobs of one submitter share one copy in memory.
    private static func loadBaseEnvironment(
        _ row: Row, into job: inout JobState, decoder: JSONDecoder, sharing last: inout [String: String]?
    ) -> String? {
        guard let text: String = try? row.decode(forColumn: "base_env") else { return nil }
        guard let base = try? decoder.decode([String: String].self, from: Data(text.utf8)),
              base.keys.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(UInt8(ascii: "=")) && !$0.utf8.contains(0) }),
              base.values.allSatisfy({ !$0.utf8.contains(0) })
        else { return "job \(job.id): its stored environment cannot be read; its runs start from the minimal base" }
        if base == last { job.baseEnvironment = last } else { job.baseEnvironment = base; last = base }
        return nil
    }

    /// Brings a stored job's numbers back into the ranges a new spec is held to (a database
    /// written before the checks existed may hold a timeout of 1e16 s); says what it changed.
    private static func sanitize(_ job: inout JobState) -> String? {
        var changes: [String] = []
        if let timeout = job.taskTimeout, !(timeout.isFinite && timeout > 0 && timeout <= JobSpecLimits.maxTaskTimeout) {
            job.taskTimeout = nil
            changes.append("task timeout \(timeout) s out of range, dropped")
        }
        if !(0...JobSpecLimits.maxInterruptedRetries).contains(job.maxInterruptedRetries) {
            changes.append("max interrupted retries \(job.maxInterruptedRetries) out of range, set to 0")
            job.maxInterruptedRetries = 0
        }
        guard !changes.isEmpty else { return nil }
        let text = changes.joined(separator: "; ")
        job.warnings.append("recovered from the database: " + text)
        return "job \(job.id): " + text
    }

    private static func task(from row: Row, decoder: JSONDecoder) throws -> TaskState {
        func decode<T: Decodable>(_ type: T.Type, _ column: String) throws -> T? {
            guard let text: String = try row.decode(forColumn: column) else { return nil }
            return try decoder.decode(type, from: Data(text.utf8))
        }
        func date(_ column: String) throws -> Date? {
            (try row.decode(Double?.self, forColumn: column)).map(Date.init(timeIntervalSinceReferenceDate:))
        }
        let percent: Int? = try row.decode(forColumn: "progress_percent")
        let status: Int = try row.decode(forColumn: "status")
        guard let taskStatus = TaskStatus(rawValue: status) else { throw StoreRowError("unknown status \(status)") }
        let reason: Int = try row.decode(forColumn: "cancellation_reason")
        let index: Int = try row.decode(forColumn: "idx")
        guard index >= 0 else { throw StoreRowError("task index \(index) is negative") }
        let command = try decode([String].self, "command") ?? []
        guard !command.isEmpty else { throw StoreRowError("task \(index) has no command") }
        let info: String? = try row.decode(forColumn: "progress_info")
        var task = TaskState(
            jobID: try row.decode(forColumn: "job_id"), index: index, name: try row.decode(forColumn: "name"),
            command: command, env: try decode([String: String].self, "env") ?? [:],
            cwd: try row.decode(forColumn: "cwd"), status: taskStatus,
            attempts: try row.decode(forColumn: "attempts"),
            interruptedRetryAttempts: try row.decode(forColumn: "interrupted_retry_attempts"),
            pid: try row.decode(forColumn: "pid"),
            submittedAt: try date("submitted_at"), assignedAt: try date("assigned_at"), startedAt: try date("started_at"),
            finishedAt: try date("finished_at"), exitCode: try row.decode(forColumn: "exit_code"),
            signal: try row.decode(forColumn: "signal"),
            progress: percent.map { TaskProgress(percent: $0, info: info) },
            result: try decode(TaskResult.self, "result"), properties: [:],
            exception: try decode(TaskException.self, "exception"),
            cancellationMessage: try row.decode(forColumn: "cancellation_message"),
            cancellationReason: CancellationReason(rawValue: reason) ?? .none,
            warnings: try decode([String].self, "warnings") ?? [], outputPrefix: try row.decode(forColumn: "output_prefix"))
        task.host = try row.decode(forColumn: "host")
        task.python = try row.decode(forColumn: "python")
        let resourcesJSON: String? = try? row.decode(forColumn: "resources")
        task.resources = resourcesJSON.flatMap { try? decoder.decode(TaskResources.self, from: Data($0.utf8)) }
        task.runDetail = try decode(RunDetail.self, "run_detail")
        task.message = try row.decode(forColumn: "message")
        task.peakRSS = try row.decode(forColumn: "peak_rss")
        task.cpuTime = try row.decode(forColumn: "cpu_time")
        return task
    }

    /// Stored events after `seq` (and up to `last`), oldest first, at most `limit`.
    func events(after seq: UInt64, upTo last: UInt64 = UInt64(Int64.max), limit: Int) throws -> [EncodedEvent] {
        // Sequence numbers beyond Int64 are not stored; clamping keeps the conversion from trapping.
        let after = Int64(clamping: seq)
        let upTo = Int64(clamping: last)
        return try pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT seq, time, json FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                arguments: [after, upTo, limit]
            ).map { row in
                EncodedEvent(seq: UInt64(row["seq"] as Int64), time: Date(timeIntervalSinceReferenceDate: row["time"]), json: row["json"])
            }
        }
    }
}

/// A stored row that cannot be used as it is.
struct StoreRowError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Store {
    /// A database failure in words for people: a full disk says so.
    static func describe(_ error: Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        switch error.resultCode {
        case .SQLITE_FULL: return "no space left on device (the database cannot grow)"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is locked by another process"
        case .SQLITE_READONLY: return "the database is read-only"
        case .SQLITE_IOERR: return "I/O error writing the database: \(error.message ?? "\(error)")"
        default: return error.message ?? "\(error)"
        }
    }
}
