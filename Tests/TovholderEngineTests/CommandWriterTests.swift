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
            case .command(let command, _, _): "command \(command.citizenID!.rawValue)"
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
}
