import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
@testable import TovholderStore

/// The writer's transactions and savepoints run on statements prepared once (`Store.writeNow`,
/// `Store.savepoint`), on a real store file.
struct TransactionTests {
    struct Refused: Error {}

    static func openStore() throws -> (Store, String) {
        let path = try scratchFile("transactions", "tovholder.sqlite")
        return (try Store.open(path: path), path)
    }

    static func labels(_ path: String) throws -> [String] {
        // A store opened afresh reads what is on disk, not what one connection has cached.
        try Store.open(path: path).writer.read { try String.fetchAll($0, sql: "SELECT key FROM meta ORDER BY key") }
    }

    @Test func aSavepointThatThrowsIsUndoneAloneAndTheTransactionGoesOn() throws {
        let (store, path) = try Self.openStore()
        try store.writeNow { db in
            try Store.savepoint(db) { try Store.setMeta(db, "a", "kept") }
            #expect(throws: Refused.self) {
                try Store.savepoint(db) {
                    try Store.setMeta(db, "b", "undone")
                    // A nested savepoint of the same name is undone with the one around it.
                    try Store.savepoint(db) { try Store.setMeta(db, "b2", "undone") }
                    throw Refused()
                }
            }
            #expect(db.isInsideTransaction)
            try Store.savepoint(db) { try Store.setMeta(db, "c", "kept") }
        }
        #expect(try Self.labels(path) == ["a", "c"])
        // The same prepared statements serve the next transaction.
        try store.writeNow { db in try Store.savepoint(db) { try Store.setMeta(db, "d", "kept") } }
        #expect(try Self.labels(path) == ["a", "c", "d"])
    }

    @Test func aTransactionThatThrowsLeavesNothingAndTheStoreStaysUsable() throws {
        let (store, path) = try Self.openStore()
        #expect(throws: Refused.self) {
            try store.writeNow { db in
                try Store.setMeta(db, "a", "undone")
                throw Refused()
            }
        }
        try store.writeNow { db in try Store.setMeta(db, "b", "kept") }
        #expect(try Self.labels(path) == ["b"])
    }

    /// When SQLite ends the whole transaction inside a savepoint (as it does on a full disk or an I/O
    /// error; here the savepoint's body rolls it back itself), nothing after it may be written outside a
    /// transaction: the savepoint says so and the writer refuses the whole batch.
    @Test func aTransactionEndedInsideASavepointIsReportedNotWrittenPastIt() throws {
        let (store, path) = try Self.openStore()
        #expect(throws: Store.TransactionLost.self) {
            try store.writeNow { db in
                try Store.savepoint(db) { try Store.setMeta(db, "a", "lost") }
                try Store.savepoint(db) {
                    try Store.setMeta(db, "b", "lost")
                    try db.execute(sql: "ROLLBACK")
                }
                try Store.setMeta(db, "c", "would autocommit")
            }
        }
        #expect(try Self.labels(path).isEmpty)
        try store.writeNow { db in try Store.setMeta(db, "d", "kept") }
        #expect(try Self.labels(path) == ["d"])
    }

    /// A savepoint that cannot be undone (here its body released it before failing, so ROLLBACK TO has
    /// nothing to go back to) must not leave the failed work to be committed with the rest.
    @Test func aSavepointThatCannotBeUndoneLosesTheTransactionNotJustTheCommand() throws {
        let (store, path) = try Self.openStore()
        #expect(throws: Store.TransactionLost.self) {
            try store.writeNow { db in
                try Store.savepoint(db) { try Store.setMeta(db, "a", "lost") }
                try Store.savepoint(db) {
                    try Store.setMeta(db, "b", "would be committed though refused")
                    try db.execute(sql: "RELEASE command")
                    throw Refused()
                }
            }
        }
        #expect(try Self.labels(path).isEmpty)
    }

    /// A read sees one snapshot from its first query to its end, and a read that fails leaves no
    /// transaction open on its connection (that reader would otherwise see that snapshot for ever).
    @Test func aReadSeesOneSnapshotAndAFailedReadLeavesNoTransactionOpen() throws {
        let (store, _) = try Self.openStore()
        try store.writeNow { db in try Store.setMeta(db, "n", "1") }
        let (first, second) = try store.readNow { db in
            let first = try Store.meta(db, "n")
            try store.writeNow { db in try Store.setMeta(db, "n", "2") }
            return (first, try Store.meta(db, "n"))
        }
        #expect(first == "1" && second == "1")
        #expect(throws: Refused.self) {
            try store.readNow { db in
                _ = try Store.meta(db, "n")
                throw Refused()
            }
        }
        try store.writeNow { db in try Store.setMeta(db, "n", "3") }
        #expect(try store.readNow { try Store.meta($0, "n") } == "3")
    }

    /// `status` counts are cached until a transaction that may change them commits; the read audits that
    /// the writer flushes every 50 ms under a load of queries are not such a transaction.
    @Test func readAuditsAloneLeaveTheCachedCountsCurrentAndAChangeDoesNot() async throws {
        let h = try await Harness(now: "2026-01-05")
        defer { Task { await h.stop() } }
        _ = try await h.add("G-1", takeover: "2026-01-02")
        let generation = h.engine.store.generation.current
        #expect(try h.engine.status().citizens == 1)
        _ = try h.engine.citizen(CitizenID(trusted: "G-1"), caller: .daemon)
        await h.engine.writer.flush()
        #expect(h.engine.store.generation.current == generation)
        let audited = try await h.engine.audit(citizen: CitizenID(trusted: "G-1"), limit: 10)
        #expect(audited.map(\.action).contains("citizen.show"))
        _ = try await h.add("G-2", takeover: "2026-01-02")
        #expect(h.engine.store.generation.current > generation)
        #expect(try h.engine.status().citizens == 2)
    }

    @Test func theWriterRefusesEveryCommandOfABatchWhoseTransactionWasLost() async throws {
        let h = try await Harness(now: "2026-01-05")
        defer { Task { await h.stop() } }
        let citizen = Citizen(id: CitizenID(trusted: "T-1"), caseworker: "cw-a", takeover: LocalDate("2026-01-02")!)
        let second = Citizen(id: CitizenID(trusted: "T-2"), caseworker: "cw-a", takeover: LocalDate("2026-01-02")!)
        let before = Ticket()
        let after = Ticket()
        let task = await CommandWriterTests.task { db in try db.execute(sql: "ROLLBACK") }
        let caller = CommandWriterTests.caller
        h.engine.writer.apply([
            .command(.addCitizen(citizen), caller, before), task,
            // Outside a transaction, this one's savepoint would begin and commit a transaction of its own.
            .command(.addCitizen(second), caller, after),
        ])
        for ticket in [before, after] {
            await #expect {
                try await ticket.result()
            } throws: { error in
                "\(error)".contains("the store rolled back the whole transaction")
            }
        }
        let stored = try await h.engine.store.writer.read { db in
            try [citizen.id, second.id].compactMap { try Store.citizen(db, $0) }
        }
        #expect(stored.isEmpty)
        // The writer goes on with the next batch.
        let added = try await h.add("T-1", takeover: "2026-01-02")
        #expect(added.citizen.id == citizen.id)
    }

    /// `Store.write(committedAt:)` reads its clock once the transaction is committed: another connection
    /// already sees the change then (the scheduler's lateness ends there, not after the hop back to it).
    @Test func aTimedWriteReadsItsClockOnceTheChangeIsCommitted() async throws {
        let (store, path) = try Self.openStore()
        let other = try DatabaseQueue(path: path)
        let (value, committedAt) = try await store.write(committedAt: {
            // -1 if the other connection does not see the change yet.
            (try? other.read { try Store.meta($0, "timed") }) == "yes" ? 42 : -1
        }) { db in
            try Store.setMeta(db, "timed", "yes")
            return "done"
        }
        #expect(value == "done" && committedAt == 42)
        // A failed write rolls back and throws; its clock is not read.
        await #expect(throws: Refused.self) {
            _ = try await store.write(committedAt: { Issue.record("clock read for a failed write"); return 0 }) { db in
                try Store.setMeta(db, "timed", "no")
                throw Refused()
            }
        }
        #expect(try await other.read { try Store.meta($0, "timed") } == "yes")
    }
}
