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
        let directory = scratchDirectory("migration")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("old.sqlite").path
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
}
