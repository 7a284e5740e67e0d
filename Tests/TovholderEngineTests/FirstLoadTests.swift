import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
@testable import TovholderStore

/// A first import into a store without deadlines leaves the deadline indexes out and builds them when the
/// load ends (Store+FirstLoad): the store answers the same throughout.
@Suite struct FirstLoadTests {
    /// A citizen taken over `takeover`, with a signed contract when `signed`.
    static func item(_ id: String, takeover: String, signed: String? = nil) -> ImportItem {
        ImportItem(
            citizen: Citizen(id: CitizenID(trusted: id), caseworker: "cw-a", takeover: LocalDate(takeover)!),
            events: signed.map { [NewEvent(kind: .contractSigned, date: LocalDate($0)!)] } ?? [])
    }

    /// The deadline table's indexes by name, with the statements that make them.
    static func indexes(_ store: Store) throws -> [String: String] {
        try store.readNow { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(
                db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deadline' AND sql IS NOT NULL"
            ).map { ($0["name"] as String, $0["sql"] as String) })
        }
    }

    static func firstLoad(_ h: Harness) throws -> Bool { try h.engine.store.readNow(Store.isFirstLoad) }

    @Test func theIndexesLeftOutAreBuiltAgainAsTheMigrationsMadeThem() throws {
        let store = try Store.inMemory()
        let migrated = try Self.indexes(store)
        #expect(Set(Store.deferredIndexes.map(\.name)).isSubset(of: migrated.keys))
        for index in Store.deferredIndexes { #expect(migrated[index.name] == index.sql) }
        try store.writeNow(Store.beginFirstLoadIfEmpty)
        #expect(try store.readNow(Store.isFirstLoad))
        #expect(try Self.indexes(store).keys.sorted() == migrated.keys.filter { name in
            !Store.deferredIndexes.contains { $0.name == name }
        }.sorted())
        #expect(try store.writeNow(Store.endFirstLoad) != nil)
        #expect(try Self.indexes(store) == migrated)
        #expect(try store.writeNow(Store.endFirstLoad) == nil)  // nothing left to build
    }

    @Test func aFirstImportAnswersTheSameWithoutTheIndexesAndBuildsThemWhenTheImporterFinishes() async throws {
        let h = try await Harness(now: "2026-02-10")
        defer { Task { await h.stop() } }
        let full = try Self.indexes(h.engine.store)
        // C-1's contract is overdue (its escalation is caught up in the import), C-2's is still to come.
        let first = try await h.engine.importBatch(
            [Self.item("C-1", takeover: "2025-12-01"), Self.item("C-2", takeover: "2026-02-02")], caller: .daemon)
        #expect(first.added == 2)
        #expect(try Self.firstLoad(h))
        #expect(try Self.indexes(h.engine.store).count == full.count - Store.deferredIndexes.count)
        // The rest of the load and other changes go on; the later batches find the indexes already out.
        #expect(try await h.engine.importBatch([Self.item("C-3", takeover: "2025-12-01", signed: "2025-12-20")], caller: .daemon).added == 1)
        _ = try await h.record("C-2", .contractSigned, "2026-02-09")
        #expect(try Self.firstLoad(h))
        let overdue = DeadlineFilter(overdueOn: LocalDate("2026-02-10")!)
        let during = try h.engine.deadlines(overdue, caller: .daemon).map { "\($0.deadline.citizen) \($0.deadline.rule)" }
        #expect(during.contains("C-1 contract") && !during.contains("C-2 contract") && !during.contains("C-3 contract"))
        #expect(try await h.outbox().map { "\($0.notice.citizen) \($0.notice.stage)" } == ["C-1 escalate-manager"])

        #expect(try await h.engine.finishImport(caller: .daemon) != nil)
        #expect(try Self.indexes(h.engine.store) == full)
        #expect(try h.engine.deadlines(overdue, caller: .daemon).map { "\($0.deadline.citizen) \($0.deadline.rule)" } == during)
        // A later import into the loaded store keeps its indexes, and finishing it builds nothing.
        #expect(try await h.engine.importBatch([Self.item("C-4", takeover: "2026-02-03")], caller: .daemon).added == 1)
        #expect(try !Self.firstLoad(h))
        #expect(try await h.engine.finishImport(caller: .daemon) == nil)
    }

    @Test func aStoreWithDeadlinesARefusedBatchAndADryRunKeepTheIndexes() async throws {
        let h = try await Harness(now: "2026-02-10")
        defer { Task { await h.stop() } }
        let unknown = ImportItem(
            citizen: Citizen(id: CitizenID(trusted: "C-bad"), caseworker: "nobody", takeover: LocalDate("2026-02-02")!), events: [])
        #expect(try await !h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02"), unknown], caller: .daemon).applied)
        #expect(try await h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02")], dryRun: true, caller: .daemon).problems.isEmpty)
        #expect(try !Self.firstLoad(h))
        _ = try await h.add("C-0", takeover: "2026-02-02")
        #expect(try await h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02")], caller: .daemon).added == 1)
        #expect(try !Self.firstLoad(h))
    }

    @Test func aLoadNoImportBatchFollowsEndsByItself() async throws {
        let h = try await Harness(now: "2026-02-10", firstLoadIdle: .seconds(1))
        defer { Task { await h.stop() } }
        #expect(try await h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02")], caller: .daemon).added == 1)
        #expect(try Self.firstLoad(h))
        // Other changes are no import batch: the load still ends.
        _ = try await h.record("C-1", .contractSigned, "2026-02-09")
        #expect(try await eventually(10) { try !Self.firstLoad(h) })
        #expect(try Self.indexes(h.engine.store).count == Self.indexes(Store.inMemory()).count)
    }

    @Test func aTimerComingDueEndsTheLoadAndFires() async throws {
        let h = try await Harness(now: "2026-02-10")
        defer { Task { await h.stop() } }
        // Taken over 2026-02-02: the contract is due 2026-03-02, its reminder a week before at 08:00.
        #expect(try await h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02")], caller: .daemon).added == 1)
        #expect(try Self.firstLoad(h))
        await h.wall.advance(to: Harness.morning("2026-02-23"))
        #expect(try await eventually { try await h.outbox().map(\.notice.stage) == ["remind-7d"] })
        #expect(try !Self.firstLoad(h))
    }

    @Test func aLoadCutShortIsEndedAtTheNextStartBeforeTheTimersAreArmed() async throws {
        let directory = scratchDirectory("first-load")
        let h = try await Harness(directory: directory, now: "2026-02-10")
        #expect(try await h.engine.importBatch([Self.item("C-1", takeover: "2026-02-02")], caller: .daemon).added == 1)
        #expect(try Self.firstLoad(h))
        await h.stop()

        let again = try await Harness(directory: directory, now: "2026-02-10")
        defer { Task { await again.stop() } }
        #expect(try !Self.firstLoad(again))
        #expect(await again.engine.scheduler.next == Harness.morning("2026-02-23"))
    }
}
