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

    /// Text is bound from a stack arena without SQLite's copy; text longer than the arena, and more rows'
    /// text than it holds, are copied by SQLite instead. Dates are bound as `YYYY-MM-DD`.
    @Test func textPastTheArenaAndDatesRoundTrip() throws {
        let store = try Store.inMemory()
        try store.writer.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT, d TEXT)")
            let long = String(repeating: "æ", count: Store.arenaBytes)  // twice the arena's bytes
            let date = LocalDate(year: 2026, month: 3, day: 9)!
            try Store.run(db.cachedStatement(sql: "INSERT INTO t VALUES (?, ?)"), db, long, date)
            let many = (0..<40).map { "row \($0) " + String(repeating: "x", count: 200) }
            try Store.run(db.cachedStatement(sql: "INSERT INTO t VALUES " + Array(repeating: "(?, ?)", count: 40).joined(separator: ", ")), db, rows: many) { text, bind in
                bind(text, LocalDate?.none)
            }
            let rows = try Row.fetchAll(db, sql: "SELECT a, d FROM t ORDER BY rowid")
            #expect(rows.count == 41)
            #expect(rows[0]["a"] == long && rows[0]["d"] == "2026-03-09")
            #expect(rows.dropFirst().map { $0["a"] as String } == many)
            #expect(rows.dropFirst().allSatisfy { ($0["d"] as String?) == nil })
        }
    }

    /// New deadline rows go in statements of up to `maxRowsPerStatement`; a changed row is updated, in place
    /// when its due date, state and timer stay; the rows and the tallies are what was asked for either way.
    @Test func replacingDeadlinesInsertsUpdatesAndDeletesExactlyWhatChanged() throws {
        let store = try Store.inMemory()
        let citizen = CitizenID(trusted: "C-1")
        let due = LocalDate(year: 2026, month: 5, day: 1)!
        func deadline(_ index: Int, state: DeadlineState = .open, progress: Int = 0, due: LocalDate = due, timer: Int64? = 100) -> StoredDeadline {
            StoredDeadline(
                deadline: Deadline(
                    citizen: citizen, rule: "r\(index / 10)", instance: "e\(index)", ruleVersion: nil,
                    triggerDate: LocalDate(year: 2026, month: 4, day: 1)!, due: due, state: state,
                    closedOn: state == .met ? due : nil, progress: progress, required: 4, suspendedDays: 0),
                lastStage: -1, nextFireAt: state == .open ? timer : nil)
        }
        let first = (0..<(2 * Store.maxRowsPerStatement + 5)).map { deadline($0) }
        var second = first
        second[0] = deadline(0, progress: 2)  // in place
        second[1] = deadline(1, state: .met, progress: 4)  // state and timer change
        second[2] = deadline(2, due: due.adding(days: 7), timer: 200)  // due date and timer change
        second.removeLast(3)
        second.append(deadline(100))
        let (stored, tallies, timers) = try store.writer.write { db in
            try db.execute(sql: "INSERT INTO citizen(id, caseworker, takeover, created_at) VALUES ('C-1', 'cw', '2026-04-01', 0)")
            try Store.replaceDeadlines(db, citizen: citizen, with: first)
            #expect(Set(try Store.deadlines(db, citizen: citizen)) == Set(first))
            try Store.replaceDeadlines(db, citizen: citizen, with: second)
            return (
                try Store.deadlines(db, citizen: citizen),
                try Row.fetchAll(db, sql: "SELECT state, due, n FROM deadline_tally WHERE n != 0 ORDER BY 1, 2").map {
                    "\($0["state"] as String) \($0["due"] as String) \($0["n"] as Int)"
                },
                try Int64.fetchAll(db, sql: "SELECT next_fire_at FROM deadline INDEXED BY deadline_timer WHERE next_fire_at IS NOT NULL ORDER BY 1"))
        }
        #expect(Set(stored) == Set(second))
        #expect(tallies == ["met  1", "open 2026-05-01 \(second.count - 2)", "open 2026-05-08 1"])
        #expect(timers == Array(repeating: 100, count: second.count - 2) + [200])
    }

    /// A burst of firings writes its notices and timers several rows per statement: every notice is
    /// queued once (a key queued before, or twice in the burst, is skipped and not counted), every timer
    /// named is set and no other, and each timer's row is found by its primary key.
    @Test func aBurstsNoticesAndTimersAreWrittenTogetherExactlyOnce() throws {
        let store = try Store.inMemory()
        let count = 2 * Store.maxRowsPerStatement + 5
        let due = LocalDate(year: 2026, month: 5, day: 4)!
        func deadline(_ index: Int) -> Deadline {
            Deadline(
                citizen: CitizenID(trusted: "C-\(index)"), rule: "first-offer", instance: "takeover", ruleVersion: nil,
                triggerDate: LocalDate(year: 2026, month: 4, day: 4)!, due: due, state: .open, closedOn: nil, progress: 0,
                required: 1, suspendedDays: 0)
        }
        func notice(_ index: Int) -> Notice {
            Notice(
                citizen: "C-\(index)", rule: "first-offer", title: "Første tilbud \(index)", instance: "takeover", stage: "due",
                stageKind: .due, due: due, status: .pending, recipient: "cw", role: .caseworker, channel: "spool",
                firedAt: "2026-05-04T06:00:00Z")
        }
        let (queued, again, rows, outbox, pending, plan) = try store.writer.write { db in
            for index in 0..<count {
                try db.execute(
                    sql: "INSERT INTO citizen(id, caseworker, takeover, created_at) VALUES (?, 'cw', '2026-04-04', 0)",
                    arguments: ["C-\(index)"])
                try Store.replaceDeadlines(
                    db, citizen: deadline(index).citizen, with: [StoredDeadline(deadline: deadline(index), lastStage: -1, nextFireAt: 100)])
            }
            let before = try Store.counter(db, "outbox.pending")
            #expect(try Store.enqueue(db, [notice(3)], at: 1) == 1)
            // Notice 3 was queued before; notice 5 comes twice.
            let queued = try Store.enqueue(db, (0..<count).map(notice) + [notice(5)], at: 2)
            let again = try Store.enqueue(db, [notice(0), notice(1)], at: 3)
            // Every timer but the last fired: the even ones are done, the odd ones armed for their next stage.
            try Store.setTimers(db, (0..<(count - 1)).map {
                Store.TimerSetting(deadline($0), lastStage: 0, nextFireAt: $0 % 2 == 0 ? nil : 200 + Int64($0))
            })
            let rows = try Row.fetchAll(db, sql: "SELECT citizen, last_stage, next_fire_at FROM deadline").map {
                ($0["citizen"] as String, $0["last_stage"] as Int, $0["next_fire_at"] as Int64?)
            }
            let outbox = try Row.fetchAll(db, sql: "SELECT key, payload, created_at FROM outbox ORDER BY id").map {
                ($0["key"] as String, $0["payload"] as String, $0["created_at"] as Int64)
            }
            let plan = try Row.fetchAll(
                db, sql: "EXPLAIN QUERY PLAN " + Store.setTimersStatements[2],
                arguments: ["C-0", "first-offer", "takeover", 0, nil, "C-1", "first-offer", "takeover", 0, nil]
            ).map { $0["detail"] as String }.joined(separator: "\n")
            return (queued, again, rows, outbox, try Store.counter(db, "outbox.pending") - before, plan)
        }
        #expect(queued == count - 1)
        #expect(again == 0)
        #expect(pending == count)
        #expect(outbox.map(\.0) == [notice(3).key] + (0..<count).filter { $0 != 3 }.map { notice($0).key })
        #expect(outbox.first?.2 == 1 && outbox.dropFirst().allSatisfy { $0.2 == 2 })
        #expect(outbox.last?.1 == String(decoding: notice(count - 1).details.jsonBytes, as: UTF8.self))
        #expect(rows.count == count)
        for (citizen, lastStage, next) in rows {
            let index = Int(citizen.dropFirst(2))!
            if index == count - 1 {
                #expect(lastStage == -1 && next == 100, "\(citizen) was not named and keeps its timer")
            } else {
                #expect(lastStage == 0 && next == (index % 2 == 0 ? nil : 200 + Int64(index)), "\(citizen)")
            }
        }
        #expect(plan.contains("SEARCH deadline USING PRIMARY KEY"), "\(plan)")
    }

    /// A batch's audit lines go in several to a statement, in the order given, every field as given
    /// (a socket caller without credentials has no uid or pid; a status read names no citizen).
    @Test func auditLinesAreAppendedInOrderWithEveryField() throws {
        let store = try Store.inMemory()
        let entries = (0..<(2 * Store.maxRowsPerStatement + 3)).map { index in
            AuditEntry(
                at: 1_000 + Int64(index % 4), uid: index % 3 == 0 ? nil : 1000 + index, pid: index % 5 == 0 ? nil : index,
                caller: "sagsbehandler-\(index)", action: index % 2 == 0 ? "citizen.show" : "event.record",
                citizen: index % 7 == 0 ? nil : "C-\(index)", outcome: index % 6 == 0 ? "not-found" : "ok")
        }
        let stored = try store.writer.write { db in
            try Store.appendAudit(db, entries)
            try Store.appendAudit(db, [])
            return try Store.audit(db, citizen: nil, limit: 1000)
        }
        #expect(stored.map(\.id) == (1...Int64(entries.count)).reversed())
        #expect(stored.reversed().map { entry -> AuditEntry in var plain = entry; plain.id = 0; return plain } == entries)
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
