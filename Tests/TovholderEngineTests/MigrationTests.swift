import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderStore

/// A store written by an earlier version opens and is migrated in place.
struct MigrationTests {
    func deadline(_ citizen: CitizenID, _ rule: String, due: String, state: DeadlineState) -> StoredDeadline {
        StoredDeadline(
            deadline: Deadline(
                citizen: citizen, rule: rule, instance: "takeover", ruleVersion: nil, triggerDate: LocalDate("2026-01-05")!,
                due: LocalDate(due)!, state: state, closedOn: state == .met ? LocalDate("2026-01-20") : nil, progress: 0,
                required: 1, suspendedDays: 0),
            lastStage: -1, nextFireAt: nil)
    }

    /// v3 replaced the (state, due) index of every deadline by a due-date index of the open ones only.
    @Test func aVersion2StoreGetsTheOpenDeadlinesIndexAndStillListsOverdueDeadlines() throws {
        let path = try scratchFile("migration", "old.sqlite")
        let id = CitizenID(trusted: "C-1")
        do {
            let old = try DatabaseQueue(path: path)
            try Store.migrator.migrate(old, upTo: "v2-tallies")
            try old.write { db in
                try Store.addCitizen(db, Citizen(id: id, caseworker: "cw", takeover: LocalDate("2026-01-05")!), at: 0)
                try Store.replaceDeadlines(db, citizen: id, with: [
                    deadline(id, "contract", due: "2026-02-05", state: .open),
                    deadline(id, "offer", due: "2026-02-04", state: .met),
                    deadline(id, "health", due: "2026-07-05", state: .open),
                ])
            }
        }
        let store = try Store.open(path: path)
        try store.writer.read { db in
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deadline'")
            #expect(indexes.contains("deadline_open_due"))
            #expect(!indexes.contains("deadline_state_due"))
            let overdue = try Store.deadlines(db, matching: DeadlineFilter(overdueOn: LocalDate("2026-03-01")!))
            #expect(overdue.map(\.deadline.rule) == ["contract"])
            let plan = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT citizen FROM deadline WHERE deadline.state = 'open' AND deadline.due < '2026-03-01'
                ORDER BY deadline.due, deadline.citizen, deadline.rule LIMIT 10
                """).map { $0["detail"] as String }
            #expect(plan.contains { $0.contains("deadline_open_due") })
            #expect(try Store.deadlines(db, citizen: id).count == 3)
        }
    }

    /// v4 replaced the (state, id) index of every notice by an index of the failed ones; operators still
    /// list each state newest first.
    @Test func aVersion3StoreListsNoticesOfEachStateNewestFirst() throws {
        let path = try scratchFile("migration", "old3.sqlite")
        func notice(_ n: Int) -> Notice {
            Notice(
                citizen: "C-\(n)", rule: "contract", title: "Kontrakt", instance: "takeover", stage: "due", stageKind: .due,
                due: LocalDate("2026-02-05")!, status: .overdue, recipient: "cw", role: .caseworker, channel: "spool",
                firedAt: "2026-02-05T07:00:00Z")
        }
        do {
            let old = try DatabaseQueue(path: path)
            try Store.migrator.migrate(old, upTo: "v3-open-deadlines-index")
            try old.write { db in
                for n in 1...6 { try Store.enqueue(db, [notice(n)], at: Int64(n)) }
                try Store.markDelivered(db, ids: [1, 4], at: 10)
                try Store.markAttemptFailed(db, id: 2, error: "refused", retryAt: nil)
                try Store.markAttemptFailed(db, id: 5, error: "refused", retryAt: nil)
            }
        }
        let store = try Store.open(path: path)
        try store.writer.read { db in
            let indexes = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'outbox'")
            #expect(indexes.contains("outbox_failed") && !indexes.contains("outbox_state"))
            #expect(try Store.outbox(db, state: .failed, limit: 10).map(\.id) == [5, 2])
            #expect(try Store.outbox(db, state: .pending, limit: 10).map(\.id) == [6, 3])
            #expect(try Store.outbox(db, state: .delivered, limit: 1).map(\.id) == [4])
            #expect(try Store.outbox(db, state: nil, limit: 3).map(\.notice.citizen) == ["C-6", "C-5", "C-4"])
            #expect(try Store.outboxCounts(db) == [.pending: 2, .delivered: 2, .failed: 2])
        }
    }

    /// The outbox used to store the whole notice as its payload; it now stores what its columns do not
    /// hold. Rows of both kinds are listed and delivered as the same notices.
    @Test func outboxRowsHoldingTheWholeNoticeReadBackLikeNewOnes() throws {
        let store = try Store.open(path: scratchFile("outbox-payload", "tovholder.sqlite"))
        func notice(_ citizen: String, title: String) -> Notice {
            Notice(
                citizen: citizen, rule: "first-offer", title: title, instance: "takeover", stage: "remind-7d",
                stageKind: .reminder, due: LocalDate("2026-03-09")!, status: .pending, recipient: "cw-anna", role: .caseworker,
                channel: "spool", firedAt: "2026-03-02T07:00:00Z")
        }
        let old = notice("C-1", title: "Første \"virksomhedsrettede\" tilbud")  // escaped: read by JSONDecoder
        let older = notice("C-2", title: "Første virksomhedsrettede tilbud")
        let new = notice("C-3", title: "Første virksomhedsrettede tilbud")
        try store.writeNow { db in
            for whole in [old, older] {
                try db.execute(
                    sql: """
                        INSERT INTO outbox(key, citizen, rule, stage, recipient, channel, payload, next_attempt_at, created_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)
                        """,
                    arguments: [whole.key, whole.citizen, whole.rule, whole.stage, whole.recipient, whole.channel,
                                String(decoding: whole.jsonBytes, as: UTF8.self)])
            }
            #expect(try Store.enqueue(db, [new], at: 0) == 1)
        }
        try store.readNow { db in
            #expect(try Store.outbox(db, state: nil, limit: 10).map(\.notice) == [new, older, old])
            #expect(try Store.deliverable(db, now: 0, limit: 10).map(\.notice) == [old, older, new])
            let payload = try String.fetchOne(db, sql: "SELECT payload FROM outbox WHERE citizen = 'C-3'") ?? ""
            #expect(!payload.contains("C-3") && !payload.contains("cw-anna") && payload.contains("firedAt"))
        }
    }

    /// v5 keyed the events by (citizen, seq). Events stored before keep their store-wide numbers, their
    /// order and who recorded them; a citizen's next event is numbered one past their last, a new
    /// citizen's from 1, and a history is read in one range of the table, not through an index.
    @Test func aVersion4StoreKeepsEveryEventAndNumbersNewOnesPerCitizen() throws {
        let path = try scratchFile("migration", "old4.sqlite")
        let (anna, bo) = (CitizenID(trusted: "C-1"), CitizenID(trusted: "C-2"))
        do {
            let old = try DatabaseQueue(path: path)
            try Store.migrator.migrate(old, upTo: "v4-outbox-failed-index")
            try old.write { db in
                for id in [anna, bo] {
                    try Store.addCitizen(db, Citizen(id: id, caseworker: "cw", takeover: LocalDate("2026-01-05")!), at: 0)
                }
                // As v4 wrote them: numbered by the table, the two citizens' events interleaved.
                for (citizen, kind, date) in [(anna, "contract-signed", "2026-01-20"), (bo, "contract-signed", "2026-01-21"),
                                              (anna, "conversation-held", "2026-02-02"), (bo, "moved-away", "2026-03-01")] {
                    try db.execute(
                        sql: "INSERT INTO event(citizen, kind, date, recorded_at, recorded_by) VALUES (?, ?, ?, 7, 'jens')",
                        arguments: [citizen.rawValue, kind, date])
                }
            }
        }
        let store = try Store.open(path: path)
        try store.writeNow { db in
            let annas = try Store.events(db, citizen: anna)
            #expect(annas.map(\.sequence) == [1, 3])
            #expect(annas.map(\.kind) == [.contractSigned, .conversationHeld])
            #expect(try Store.events(db, citizen: bo).map(\.sequence) == [2, 4])
            #expect(try Row.fetchAll(db, sql: "SELECT recorded_at, recorded_by FROM event").allSatisfy {
                $0[0] as Int64 == 7 && $0[1] as String == "jens"
            })
            let counted = try Store.eventCount(db)
            let next = CaseEvent(
                sequence: Store.nextSequence(after: annas), kind: .conversationHeld, date: LocalDate("2026-03-02")!)
            #expect(next.sequence == 4)  // one past Anna's last; Bo's 4 is his own
            try Store.appendEvents(db, citizen: anna, [next], at: 8, by: "jens")
            #expect(try Store.events(db, citizen: anna).map(\.sequence) == [1, 3, 4])
            // A new citizen's history, numbered from 1, in statements of up to 16 rows.
            let carl = CitizenID(trusted: "C-3")
            try Store.addCitizen(db, Citizen(id: carl, caseworker: "cw", takeover: LocalDate("2026-02-01")!), at: 0)
            var carls: [CaseEvent] = []
            for day in 1...(Store.maxRowsPerStatement + 4) {
                carls.append(CaseEvent(
                    sequence: Store.nextSequence(after: carls), kind: .conversationHeld,
                    date: LocalDate("2026-02-01")!.adding(days: day)))
            }
            try Store.appendEvents(db, citizen: carl, carls, at: 9, by: "jens")
            #expect(carls.map(\.sequence) == Array(1...Int64(Store.maxRowsPerStatement + 4)))
            #expect(try Store.events(db, citizen: carl) == carls)
            #expect(try Store.eventCount(db) == counted + 1 + carls.count)
            #expect(try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event'")
                .allSatisfy { $0.hasPrefix("sqlite_autoindex") })
            let plan = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT seq, kind, date, offer FROM event WHERE citizen = 'C-1' ORDER BY seq
                """).map { $0["detail"] as String }
            #expect(plan.count == 1 && plan[0].contains("PRIMARY KEY"))
        }
    }

    /// A new store gets 2 KiB pages (half the bytes written to the log for each page a change touches);
    /// a store made with SQLite's default 4 KiB keeps them, since changing that takes a VACUUM.
    @Test func aNewStoreHasSmallPagesAndAnOldOneKeepsItsOwn() throws {
        func pageSize(_ store: Store) throws -> Int { try store.readNow { try Int.fetchOne($0, sql: "PRAGMA page_size") ?? 0 } }
        let new = try Store.open(path: scratchFile("page-size", "new.sqlite"))
        #expect(try pageSize(new) == Store.pageSize && Store.pageSize == 2048)
        let path = try scratchFile("page-size", "old.sqlite")
        do {
            let old = try DatabaseQueue(path: path)
            try old.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = WAL") }
            try Store.migrator.migrate(old, upTo: "v4-outbox-failed-index")
        }
        let reopened = try Store.open(path: path)
        #expect(try pageSize(reopened) == 4096)
        try reopened.writeNow { db in
            try Store.addCitizen(db, Citizen(id: CitizenID(trusted: "C-1"), caseworker: "cw", takeover: LocalDate("2026-01-05")!), at: 0)
        }
        #expect(try reopened.readNow { try Store.citizen($0, CitizenID(trusted: "C-1")) } != nil)
    }
}

