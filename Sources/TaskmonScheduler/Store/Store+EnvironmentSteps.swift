import Foundation
import GRDB
import TaskmonKit

/// How a job's environment setup and teardown last ended (`jobs.setup_end`, `jobs.teardown_end`):
/// a restarted scheduler shows the exit status, signal or problem, not `unknown`.
extension Store {
    static func migrateEnvironmentSteps(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE jobs ADD COLUMN setup_end TEXT; ALTER TABLE jobs ADD COLUMN teardown_end TEXT")
    }

    /// The two columns' values, in this order; NULL for a step that has not ended this round.
    static func environmentStepColumns(_ job: JobState) -> StatementArguments {
        [job.setupEnd.flatMap { json(StoredStepEnd($0)) }, job.teardownEnd.flatMap { json(StoredStepEnd($0)) }]
    }

    /// Writes a just-inserted job's step ends (only a batch merged after a failed commit has any).
    func insertEnvironmentSteps(of job: JobState, _ db: Database) throws {
        guard job.setupEnd != nil || job.teardownEnd != nil else { return }
        try db.execute(
            sql: "UPDATE jobs SET setup_end = ?, teardown_end = ? WHERE id = ?",
            arguments: Self.environmentStepColumns(job) + [job.id])
    }

    /// Reads a job row's step ends into `job`; one that cannot be read (edited by hand) is left
    /// out, and said in the returned sentence: the job is still recovered.
    static func loadEnvironmentSteps(_ row: Row, into job: inout JobState, decoder: JSONDecoder) -> String? {
        var unreadable: [String] = []
        func end(_ column: String, _ step: String) -> EnvironmentStepEnd? {
            guard let text: String = try? row.decode(forColumn: column) else { return nil }
            guard let stored = try? decoder.decode(StoredStepEnd.self, from: Data(text.utf8)), let end = stored.end else {
                unreadable.append(step)
                return nil
            }
            return end
        }
        job.setupEnd = end("setup_end", "setup")
        job.teardownEnd = end("teardown_end", "teardown")
        guard !unreadable.isEmpty else { return nil }
        return "job \(job.id): how its \(unreadable.joined(separator: " and ")) ended cannot be read; it shows without an exit status"
    }
}

/// An ``EnvironmentStepEnd`` as stored: `{"exit_code": 3}`, `{"signal": 9}`, `{"problem": "…"}`.
private struct StoredStepEnd: Codable {
    var exitCode: Int32?
    var signal: Int32?
    var problem: String?

    enum CodingKeys: String, CodingKey {
        case exitCode = "exit_code"
        case signal, problem
    }

    init(_ end: EnvironmentStepEnd) {
        switch end.termination {
        case .exited(let code): exitCode = code
        case .signaled(let number): signal = number
        case nil: break
        }
        problem = end.problem
    }

    /// The end it records, or nil when its numbers are out of any wait status's range (-1 is a
    /// status lost to another reaper, see ``ProcessTermination``) or it records nothing at all.
    var end: EnvironmentStepEnd? {
        switch (exitCode, signal) {
        case (let code?, nil) where (-1...255).contains(code):
            return EnvironmentStepEnd(termination: .exited(code), problem: problem)
        case (nil, let number?) where (1...127).contains(number):
            return EnvironmentStepEnd(termination: .signaled(number), problem: problem)
        case (nil, nil) where problem != nil:
            return EnvironmentStepEnd(termination: nil, problem: problem)
        default:
            return nil
        }
    }
}
