import GRDB
import GRDBSQLite
import TovholderCore

/// A value bound to a statement parameter straight through SQLite's C API.
protocol SQLiteBindable {
    /// Binds the value; text is copied into `arena`, which outlives the statement's execution, and bound
    /// there without SQLite making its own copy (or, when the arena is full, bound for SQLite to copy).
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32
}

/// Bytes for the text parameters of one statement execution, on the stack of `Store.run` or `Store.rows`:
/// binding text for SQLite to copy (SQLITE_TRANSIENT) cost an allocation, a copy and a free per value (the
/// binding alone was 9 % of the writer's samples in an import, where every row binds a citizen id, a rule
/// and dates).
struct BindingArena {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var used = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) {
        base = buffer.baseAddress!
        capacity = buffer.count
    }

    /// Room for `count` bytes, or nil when the arena cannot hold them.
    mutating func reserve(_ count: Int) -> UnsafeMutableBufferPointer<UInt8>? {
        guard count <= capacity - used else { return nil }
        defer { used += count }
        return UnsafeMutableBufferPointer(start: (base + used).assumingMemoryBound(to: UInt8.self), count: count)
    }

    /// Binds `bytes` as text: from the arena when they fit (SQLite keeps the pointer), else copied by SQLite.
    mutating func bindText(_ bytes: UnsafeBufferPointer<UInt8>, to statement: OpaquePointer, at index: Int32) -> Int32 {
        guard let room = reserve(bytes.count) else {
            return sqlite3_bind_text(statement, index, bytes.baseAddress, Int32(bytes.count), Store.transient)
        }
        if let source = bytes.baseAddress { room.baseAddress!.update(from: source, count: bytes.count) }
        return sqlite3_bind_text(statement, index, room.baseAddress, Int32(bytes.count), Store.static)
    }
}

extension String: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32 {
        var text = self
        return text.withUTF8 { arena.bindText($0, to: statement, at: index) }
    }
}

/// Dates are stored as `YYYY-MM-DD` text, written into the arena without making a `String`.
extension LocalDate: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32 {
        if let room = arena.reserve(LocalDate.textLength) {
            return sqlite3_bind_text(statement, index, room.baseAddress, Int32(write(into: room)), Store.static)
        }
        return description.bind(to: statement, at: index, arena: &arena)
    }
}

extension Int: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32 {
        sqlite3_bind_int64(statement, index, Int64(self))
    }
}

extension Int64: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32 {
        sqlite3_bind_int64(statement, index, self)
    }
}

extension Optional: SQLiteBindable where Wrapped: SQLiteBindable {
    func bind(to statement: OpaquePointer, at index: Int32, arena: inout BindingArena) -> Int32 {
        switch self {
        case .some(let value): value.bind(to: statement, at: index, arena: &arena)
        case .none: sqlite3_bind_null(statement, index)
        }
    }
}

extension Store {
    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    /// SQLITE_STATIC: SQLite keeps the pointer, which must stay valid until the statement is reset.
    static let `static` = unsafeBitCast(0, to: sqlite3_destructor_type.self)
    /// The stack bytes each execution has for its text parameters; longer text is copied by SQLite.
    static let arenaBytes = 1024

    /// Runs an INSERT, UPDATE or DELETE with `values` bound in order, straight through SQLite's C API:
    /// GRDB's `execute(arguments:)` builds an array of boxed values for every call, a tenth of the
    /// writer's time in an import or a burst of firings. Only for statements that are never run through
    /// GRDB's own `execute` or fetch methods (GRDB would not know what is bound).
    static func run<each Value: SQLiteBindable>(_ statement: Statement, _ db: Database, _ values: repeat each Value) throws {
        try bound(statement, db, { $0(repeat each values) }) { try step(statement, db) { _ in } }
    }

    /// The rows of a query with `values` bound in order, each read by `decode` straight from SQLite (no
    /// GRDB `Row`, no `String` for a date). Same rule as `run`: the statement is only ever run this way.
    static func rows<T, each Value: SQLiteBindable>(
        _ statement: Statement, _ db: Database, _ values: repeat each Value, as decode: (Columns) throws -> T
    ) throws -> [T] {
        try bound(statement, db, { $0(repeat each values) }) {
            var result: [T] = []
            try step(statement, db) { result.append(try decode($0)) }
            return result
        }
    }

    /// Runs a statement of several rows' values (`INSERT … VALUES (…), (…)`), `bind` giving each row's
    /// values in order through the `RowBinder`: one execution instead of one per row. Same rule as `run`.
    static func run<Row>(
        _ statement: Statement, _ db: Database, rows: some Collection<Row>, _ bind: (Row, inout RowBinder) -> Void
    ) throws {
        try bound(statement, db, arena: 8 * arenaBytes, { binder in for row in rows { bind(row, &binder) } }) {
            try step(statement, db) { _ in }
        }
    }

    /// Binds the statement's parameters through `bind`, with an arena of `arena` bytes on the stack for
    /// their text, then runs `body` while the arena lives; a value that could not be bound throws first.
    private static func bound<T>(
        _ statement: Statement, _ db: Database, arena: Int = arenaBytes, _ bind: (inout RowBinder) -> Void,
        _ body: () throws -> T
    ) throws -> T {
        try withUnsafeTemporaryAllocation(byteCount: arena, alignment: 1) { buffer in
            var binder = RowBinder(handle: statement.sqliteStatement, arena: BindingArena(buffer))
            bind(&binder)
            try binder.check(statement, db)
            return try body()
        }
    }

    /// Rows one statement inserts or updates at most.
    static let maxRowsPerStatement = 16

    /// `statements[n]` takes n rows (1…maxRowsPerStatement) of `columns` values each after `head`
    /// (`INSERT INTO table(columns)`), built once: interpolating SQL for every call showed in profiles.
    /// `tail` follows the values: an UPDATE takes its rows as `… FROM (VALUES …) AS v WHERE …`.
    static func multiRowStatements(_ head: String, columns: Int, tail: String = "") -> [String] {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return (0...maxRowsPerStatement).map {
            "\(head) VALUES " + Array(repeating: row, count: $0).joined(separator: ", ") + tail
        }
    }

    /// Runs `statements` (from `multiRowStatements`) over `rows`, up to `maxRowsPerStatement` in each execution:
    /// a citizen added or imported has a dozen deadlines and about as many events, a burst of firings
    /// thousands of notices and timers. Returns the rows SQLite changed (an INSERT OR IGNORE skips some).
    @discardableResult
    static func runInChunks<Row>(
        _ db: Database, _ statements: [String], rows: [Row], _ bind: (Row, inout RowBinder) -> Void
    ) throws -> Int {
        var start = rows.startIndex
        var changed = 0
        while start < rows.endIndex {
            let chunk = rows[start..<min(start + maxRowsPerStatement, rows.endIndex)]
            try run(db.cachedStatement(sql: statements[chunk.count]), db, rows: chunk, bind)
            changed += db.changesCount
            start = chunk.endIndex
        }
        return changed
    }

    /// Binds values at consecutive parameters, in order (row after row, for `run(_:_:rows:_:)`); the first
    /// failure stops the binding and `check` reports it.
    struct RowBinder {
        let handle: OpaquePointer
        var arena: BindingArena
        var index: Int32 = 0
        var code = SQLITE_OK

        mutating func callAsFunction<each Value: SQLiteBindable>(_ values: repeat each Value) {
            for value in repeat each values {
                index += 1
                if code == SQLITE_OK { code = value.bind(to: handle, at: index, arena: &arena) }
            }
        }

        /// Throws SQLite's error if a value could not be bound, with the bindings cleared.
        func check(_ statement: Statement, _ db: Database) throws {
            guard code != SQLITE_OK else { return }
            sqlite3_clear_bindings(handle)
            throw Store.failure(code, statement, db)
        }
    }

    /// The same for a statement made for this call, with arguments GRDB binds (queries whose SQL depends
    /// on the request, not on the hot path).
    static func rows<T>(_ statement: Statement, _ db: Database, arguments: StatementArguments, as decode: (Columns) throws -> T) throws -> [T] {
        try statement.setArguments(arguments)
        var result: [T] = []
        try step(statement, db) { result.append(try decode($0)) }
        return result
    }

    /// Steps the statement to its end, calling `row` for each row, and resets it, also when it fails. The
    /// bindings are cleared too: text bound from an arena must not outlive it.
    private static func step(_ statement: Statement, _ db: Database, _ row: (Columns) throws -> Void) throws {
        let handle = statement.sqliteStatement
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code, statement, db) }
            try row(Columns(handle: handle, statement: statement))
        }
    }

    static func failure(_ code: Int32, _ statement: Statement, _ db: Database) -> DatabaseError {
        DatabaseError(
            resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
            sql: statement.sql)
    }
}

/// The current row of a statement, read column by column straight from SQLite. Valid only inside the
/// `decode` closure it is given to.
struct Columns {
    let handle: OpaquePointer
    /// For error messages only: GRDB's `sql` trims a copy of the statement's text on every call.
    let statement: Statement

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    /// The column's text ("" for NULL).
    func text(_ column: Int32) -> String {
        String(decoding: bytes(column), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    /// A stored `YYYY-MM-DD`, parsed from SQLite's own bytes.
    func date(_ column: Int32) throws -> LocalDate {
        guard let date = LocalDate(utf8: bytes(column)) else { throw corrupt(column, "is not a date") }
        return date
    }

    func optionalDate(_ column: Int32) throws -> LocalDate? { isNull(column) ? nil : try date(column) }

    /// A stored value that must be one of `T`'s raw values.
    func value<T: RawRepresentable>(_ column: Int32, as type: T.Type) throws -> T where T.RawValue == String {
        guard let value = T(rawValue: text(column)) else { throw corrupt(column, "is not a known \(T.self)") }
        return value
    }

    func optionalValue<T: RawRepresentable>(_ column: Int32, as type: T.Type) throws -> T? where T.RawValue == String {
        isNull(column) ? nil : try value(column, as: type)
    }

    /// Calls `body` with the column's text as SQLite holds it, without a copy.
    func withBytes<T>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        try body(bytes(column))
    }

    private func bytes(_ column: Int32) -> UnsafeBufferPointer<UInt8> {
        // sqlite3_column_text first, then sqlite3_column_bytes: the order SQLite documents.
        let start = sqlite3_column_text(handle, column)
        return UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column)))
    }

    private func corrupt(_ column: Int32, _ problem: String) -> DatabaseError {
        let name = sqlite3_column_name(handle, column).map { String(cString: $0) } ?? "\(column)"
        return DatabaseError(
            resultCode: .SQLITE_CORRUPT, message: "the stored \(name) '\(text(column))' \(problem)", sql: statement.sql)
    }
}
