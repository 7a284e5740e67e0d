import GRDB
import GRDBSQLite

/// A value bound to a statement parameter straight through SQLite's C API.
protocol SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32
}

extension String: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        var text = self
        // SQLITE_TRANSIENT: SQLite copies the bytes before this returns.
        return text.withUTF8 { sqlite3_bind_text(statement, index, $0.baseAddress, Int32($0.count), Store.transient) }
    }
}

extension Int: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, Int64(self)) }
}

extension Int64: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 { sqlite3_bind_int64(statement, index, self) }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

extension Store {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Runs an INSERT, UPDATE or DELETE with `values` bound in order, straight through SQLite's C API:
    /// GRDB's `execute(arguments:)` builds an array of boxed values for every call, half the cost of an
    /// outbox insert in a burst of firings. Only for statements that are never run through GRDB's own
    /// `execute` (GRDB would not know what is bound).
    static func run<each Value: SQLiteBindable>(_ statement: Statement, _ db: Database, _ values: repeat each Value) throws {
        let handle = statement.sqliteStatement
        var index: Int32 = 0
        var code = SQLITE_OK
        for value in repeat each values {
            index += 1
            if code == SQLITE_OK { code = value.bind(to: handle, at: index) }
        }
        if code == SQLITE_OK { code = sqlite3_step(handle) }
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }
}
