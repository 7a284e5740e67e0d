import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
import TovholderStore

/// How the writer shares its transactions between caseworkers' commands and the daemon's own tasks.
struct CommandWriterTests {
    static let caller = Caller(uid: 1000, pid: 1, name: "test")

    static func command(_ n: Int) -> CommandWriter.Work {
        .command(.recordEvent(citizen: CitizenID(trusted: "K-\(n)"), kind: .conversationHeld, date: LocalDate("2026-01-10")!, offer: nil), caller, Ticket())
    }

    /// A task whose label the test reads back from the queue order.
    static func task(_ label: String) async -> CommandWriter.Work {
        // The test only looks at where the work is placed, then resumes its waiter (`finish`).
        await task { db in try Store.setMeta(db, "label", label) }
    }

    /// A task running `body`, as the writer queues it; its waiter is resumed when the task is applied
    /// (or by `finish`).
    static func task(_ body: @escaping @Sendable (Database) throws -> Void) async -> CommandWriter.Work {
        await withCheckedContinuation { (outer: CheckedContinuation<CommandWriter.Work, Never>) in
            Task {
                try? await withCheckedThrowingContinuation { (inner: CheckedContinuation<Void, any Error>) in
                    outer.resume(returning: .task(body, inner))
                }
            }
        }
    }

    static func finish(_ items: [CommandWriter.Work]) {
        for case .task(_, let continuation) in items { continuation.resume() }
    }

    static func shape(_ items: [CommandWriter.Work]) -> [String] {
        items.map { work in
            switch work {
            case .command(let command, _, _): command.citizenID.map { "command \($0.rawValue)" } ?? command.action
            case .task: "task"
            case .audit: "audit"
            case .barrier: "barrier"
            }
        }
    }

    @Test func whileCommandsWaitOneTaskRidesInEachTransactionAndCommandsKeepTheirOrder() async {
        let items = [await Self.task("a"), Self.command(1), await Self.task("b"), Self.command(2), await Self.task("c")]
        let (batch, rest) = CommandWriter.nextBatch(items)
        #expect(Self.shape(batch) == ["task", "command K-1", "command K-2"])
        #expect(Self.shape(rest) == ["task", "task"])
        let (second, left) = CommandWriter.nextBatch(rest)
        #expect(Self.shape(second) == ["task", "task"])
        #expect(left.isEmpty)
        Self.finish(items)
    }

    /// An importer's connections each work out their next batch once the last is answered; with two of
    /// its four batches in a transaction, the other two are worked out while these are written. What
    /// comes after the first batch over the limit waits with it, in order.
    @Test func atMostTwoImportBatchesShareATransactionAndWhatFollowsKeepsItsOrder() async {
        let importing = CommandWriter.Work.command(.importBatch([]), Self.caller, Ticket())
        let items = [importing, Self.command(1), importing, importing, Self.command(2), importing]
        let (batch, rest) = CommandWriter.nextBatch(items)
        #expect(Self.shape(batch) == ["citizen.import", "command K-1", "citizen.import"])
        #expect(Self.shape(rest) == ["citizen.import", "command K-2", "citizen.import"])
        let (second, left) = CommandWriter.nextBatch(rest)
        #expect(Self.shape(second) == ["citizen.import", "command K-2", "citizen.import"])
        #expect(left.isEmpty)
    }

    @Test func withNoCommandWaitingSeveralTasksShareATransaction() async {
        var items: [CommandWriter.Work] = []
        for label in ["a", "b", "c", "d", "e", "f", "g"] { items.append(await Self.task(label)) }
        let (batch, rest) = CommandWriter.nextBatch(items)
        #expect(batch.count == CommandWriter.maxTasks)
        #expect(rest.count == items.count - CommandWriter.maxTasks)
        Self.finish(items)
    }

    @Test func aFailingTaskIsRolledBackAloneAndItsErrorReachesTheCaller() async throws {
        let h = try await Harness(now: "2026-01-05")
        defer { Task { await h.stop() } }
        try await h.engine.writer.perform { db in try Store.setMeta(db, "probe", "kept") }
        await #expect(throws: DatabaseError.self) {
            try await h.engine.writer.perform { db in
                try Store.setMeta(db, "probe", "rolled back")
                try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
            }
        }
        let stored = try await h.engine.store.writer.read { try Store.meta($0, "probe") }
        #expect(stored == "kept")
    }

    /// A batch is applied without savepoints; when a change in it is refused, that transaction is undone
    /// and the batch applied again with each change in a savepoint. The refused change is refused alone, and
    /// each of the others is stored, counted and audited exactly once.
    @Test func aBatchWithARefusedChangeIsAppliedAgainAndEveryOtherChangeLandsOnce() async throws {
        let h = try await Harness(now: "2026-01-05")
        defer { Task { await h.stop() } }
        for id in ["R-1", "R-2"] { _ = try await h.add(id, takeover: "2026-01-02") }
        func held(_ id: String) -> Command {
            .recordEvent(citizen: CitizenID(trusted: id), kind: .conversationHeld, date: LocalDate("2026-01-04")!, offer: nil)
        }
        let writer = h.engine.writer
        let before = writer.stats.snapshot
        let good = [Ticket(), Ticket()]
        writer.apply([.command(held("R-1"), Self.caller, good[0]), .command(held("R-2"), Self.caller, good[1])])
        for ticket in good { _ = try await ticket.result() }
        #expect(writer.stats.snapshot.redone == before.redone)

        let tickets = [Ticket(), Ticket(), Ticket()]
        writer.apply([
            .command(held("R-1"), Self.caller, tickets[0]),
            .command(held("R-404"), Self.caller, tickets[1]),
            .command(held("R-2"), Self.caller, tickets[2]),
        ])
        for index in [0, 2] {
            guard case .citizen(let snapshot) = try await tickets[index].result() else {
                Issue.record("change \(index) did not answer with the citizen")
                continue
            }
            #expect(snapshot.events.count == 2)
        }
        await #expect(throws: DomainError.self) { try await tickets[1].result() }
        #expect(writer.stats.snapshot.redone == before.redone + 1)
        #expect(writer.stats.snapshot.commits == before.commits + 2)

        let events = try await h.engine.store.writer.read { db in
            try ["R-1", "R-2"].map { try Store.events(db, citizen: CitizenID(trusted: $0)).count }
        }
        #expect(events == [2, 2])
        #expect(try h.engine.status().events == 4)
        for id in ["R-1", "R-2", "R-404"] {
            let lines = try await h.engine.audit(citizen: CitizenID(trusted: id), limit: 10).filter { $0.action == "event.record" }
            #expect(lines.map(\.outcome) == (id == "R-404" ? ["not-found"] : ["ok", "ok"]), "audit of \(id)")
        }

        // After a refusal the next batch is guarded from the start: another refusal is not applied twice.
        // A batch without one lets the one after it go unguarded again.
        func batch(_ ids: [String]) async throws -> Int {
            let tickets = ids.map { _ in Ticket() }
            writer.apply(zip(ids, tickets).map { .command(held($0), Self.caller, $1) })
            var refused = 0
            for ticket in tickets {
                do { _ = try await ticket.result() } catch { refused += 1 }
            }
            return refused
        }
        #expect(try await batch(["R-404", "R-1"]) == 1)
        #expect(writer.stats.snapshot.redone == before.redone + 1)
        #expect(try await batch(["R-2"]) == 0)
        #expect(try await batch(["R-1", "R-404"]) == 1)
        #expect(writer.stats.snapshot.redone == before.redone + 2)
        #expect(try h.engine.status().events == 7)
    }
}
