import Foundation
import GRDB
import GRDBSQLite

/// One run of a statement GRDB prepared (and caches), its values bound straight through
/// SQLite's C API.
///
/// The commit thread writes a few rows a task (its row as it changes, its events). GRDB's
/// `execute(arguments:)` boxes every value into an array of existentials and then into
/// `DatabaseValue`s: for a job of short tasks that was a sixth of the commit thread's CPU, more
/// than SQLite's own work for the row. Values are bound in the order of the statement's `?`s;
/// `run()` steps it once and throws GRDB's `DatabaseError` (a full disk, say) as `execute` does,
/// so that the transaction is rolled back and the batch written again.
struct PreparedRow: ~Copyable {
    private let statement: Statement
    private var next: Int32 = 1
    private var failure = SQLITE_OK

    init(_ statement: Statement) {
        self.statement = statement
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    private var handle: SQLiteStatement { statement.sqliteStatement }

    /// SQLite copies a text or blob before the bind returns (`SQLITE_TRANSIENT`): the Swift
    /// value's storage only lives for the call.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    mutating func bind(_ value: Int64?) {
        let handle = handle, index = next
        record(value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
    }

    mutating func bind(_ value: Int?) { bind(value.map(Int64.init)) }
    mutating func bind(_ value: Int32?) { bind(value.map(Int64.init)) }
    mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

    mutating func bind(_ value: Double?) {
        let handle = handle, index = next
        record(value.map { sqlite3_bind_double(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
    }

    mutating func bind(_ value: Date?) { bind(value?.timeIntervalSinceReferenceDate) }

    mutating func bind(_ value: String?) {
        let handle = handle, index = next
        guard var value else { return record(sqlite3_bind_null(handle, index)) }
        record(value.withUTF8 { bytes in
            // Not a nil pointer for "", which SQLite would bind as NULL. 64-bit lengths: no
            // size traps here; SQLite refuses one too big (SQLITE_TOOBIG, thrown by run()).
            guard let base = bytes.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
            return sqlite3_bind_text64(
                handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), UInt64(bytes.count),
                Self.transient, UInt8(SQLITE_UTF8))
        })
    }

    mutating func bind(_ value: Data?) {
        let handle = handle, index = next
        guard let value else { return record(sqlite3_bind_null(handle, index)) }
        record(value.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return sqlite3_bind_blob64(handle, index, base, UInt64(bytes.count), Self.transient)
        })
    }

    /// Moves on to the next `?`, keeping the first bind that failed: the row is not written then.
    private mutating func record(_ code: Int32) {
        if code != SQLITE_OK && failure == SQLITE_OK { failure = code }
        next += 1
    }

    /// Runs the statement once, as GRDB's `execute` would, and leaves it reset.
    consuming func run() throws {
        precondition(next - 1 == sqlite3_bind_parameter_count(handle), "\(next - 1) values bound to \(statement.sql)")
        let code = failure == SQLITE_OK ? sqlite3_step(handle) : failure
        defer { sqlite3_reset(handle) }
        guard code == SQLITE_DONE || code == SQLITE_ROW else {
            // A bind that failed left the connection's message alone: SQLite names the code.
            let text = failure == SQLITE_OK ? sqlite3_errmsg(sqlite3_db_handle(handle)) : sqlite3_errstr(code)
            let message = text.map { String(cString: $0) }
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}
