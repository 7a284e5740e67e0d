import GRDB
import Testing
import TovholderCore
@testable import TovholderStore

/// The hot inserts and updates bind their values through SQLite's C API (`Store.run`), not GRDB's.
struct BindingTests {
    @Test func valuesRoundTripIncludingNilAndDanishText() throws {
        let store = try Store.inMemory()
        try store.writer.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT, b INTEGER, c INTEGER, d TEXT)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?, ?, ?)")
            try Store.run(insert, db, "Sønderborg — ærø", 42, Int64(1) << 40, String?.none)
            try Store.run(insert, db, "", -1, Int64?.none, Optional("x"))
            let rows = try Row.fetchAll(db, sql: "SELECT a, b, c, d FROM t ORDER BY rowid")
            #expect(rows[0]["a"] == "Sønderborg — ærø")
            #expect(rows[0]["b"] == 42)
            #expect(rows[0]["c"] == Int64(1) << 40)
            #expect(rows[0]["d"] as String? == nil)
            #expect(rows[1]["a"] == "")
            #expect(rows[1]["c"] as Int64? == nil)
            #expect(rows[1]["d"] == "x")
        }
    }

    @Test func aFailedStatementThrowsSQLitesErrorAndStaysUsable() throws {
        let store = try Store.inMemory()
        try store.writer.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT PRIMARY KEY NOT NULL)")
            let insert = try db.cachedStatement(sql: "INSERT INTO t VALUES (?)")
            try Store.run(insert, db, "one")
            #expect {
                try Store.run(insert, db, "one")
            } throws: { error in
                guard let error = error as? DatabaseError else { return false }
                return error.resultCode == .SQLITE_CONSTRAINT && error.message?.contains("UNIQUE") == true
            }
            #expect(throws: DatabaseError.self) { try Store.run(insert, db, String?.none) }
            try Store.run(insert, db, "two")
            #expect(try String.fetchAll(db, sql: "SELECT a FROM t ORDER BY a") == ["one", "two"])
        }
    }

    /// A damaged stored value is an error naming the column, not a crash of the daemon.
    @Test func aStoredValueThatCannotBeReadIsAnErrorNamingItsColumn() throws {
        let store = try Store.inMemory()
        try store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO citizen(id, caseworker, takeover, created_at) VALUES ('C-1', 'cw', '2026-02-30', 0);
                INSERT INTO citizen(id, caseworker, takeover, track, created_at) VALUES ('C-2', 'cw', '2026-02-03', 'nonsense', 0);
                INSERT INTO citizen(id, caseworker, takeover, visitation, created_at) VALUES ('C-3', 'cw', '2026-02-03', NULL, 0);
                """)
            #expect {
                try Store.citizen(db, CitizenID(trusted: "C-1"))
            } throws: { error in
                (error as? DatabaseError)?.resultCode == .SQLITE_CORRUPT
                    && (error as? DatabaseError)?.message == "the stored takeover '2026-02-30' is not a date"
            }
            #expect {
                try Store.citizen(db, CitizenID(trusted: "C-2"))
            } throws: { error in
                (error as? DatabaseError)?.message?.contains("the stored track 'nonsense' is not a known") == true
            }
            let good = try #require(try Store.citizen(db, CitizenID(trusted: "C-3")))
            #expect(good.takeover == LocalDate(year: 2026, month: 2, day: 3))
            #expect(good.visitation == nil && good.track == nil && good.household == nil)
        }
    }
}
