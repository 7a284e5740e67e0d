import Clocks
import Foundation
import GRDB
import Logging
import Testing
@testable import TovholderEngine
import TovholderStore

/// Checkpoints run on their own connection, not in the commits that acknowledgements wait for.
struct CheckpointTests {
    func scratch() throws -> (URL, Store) {
        let directory = scratchDirectory("ckpt")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return (directory, try Store.open(path: directory.appendingPathComponent("t.sqlite").path))
    }

    func size(_ path: String) -> Int { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0 }

    /// Enough new rows that SQLite's default (1,000 pages) would have made a commit checkpoint.
    func fill(_ store: Store, round: Int = 0) async throws {
        for batch in 0..<3 {
            try await store.write { db in
                for n in 0..<2_000 {
                    try Store.setMeta(db, "filler-\(round)-\(batch)-\(n)", String(repeating: "x", count: 900))
                }
            }
        }
    }

    @Test func commitsLeaveTheLogToTheCheckpointerWhichCopiesItIntoTheDatabase() async throws {
        let (directory, store) = try scratch()
        let database = directory.appendingPathComponent("t.sqlite").path
        let pages = try await store.writer.write { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }
        #expect(pages == Store.writerCheckpointPages)
        let before = size(database)
        try await fill(store)
        #expect(size(database) == before)  // everything is still in the log
        let checkpoint = try #require(try await store.checkpoint())
        #expect(checkpoint.copied > 1_000)
        #expect(size(database) > before + 4_000_000)
        #expect(try await store.writer.read { try Store.meta($0, "filler-0-2-1999") }?.count == 900)
    }

    /// The service is asleep on its clock (not between two sleeps, checkpointing).
    func asleep(_ clock: TestClock<Duration>) async -> Bool {
        do {
            try await clock.checkSuspension()
            return false
        } catch {
            return true
        }
    }

    /// Moves the clock on and waits until the service sleeps again: whatever checkpoint it woke for is done.
    func tick(_ clock: TestClock<Duration>, _ milliseconds: Int) async throws {
        await clock.advance(by: .milliseconds(milliseconds))
        #expect(try await eventually { await asleep(clock) })
    }

    @Test func theServiceCheckpointsOftenWhileTheWriterCommitsAndBacksOffWhenItDoesNot() async throws {
        let (directory, store) = try scratch()
        let database = directory.appendingPathComponent("t.sqlite").path
        let clock = TestClock<Duration>()
        let service = Checkpointer(
            store: store, clock: clock, busyInterval: .milliseconds(10), idleInterval: .milliseconds(100),
            logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        defer { running.cancel() }
        #expect(try await eventually { await asleep(clock) })

        // The first checkpoint comes after the idle interval.
        try await fill(store)
        var before = size(database)
        try await tick(clock, 99)
        #expect(size(database) == before)
        try await tick(clock, 1)
        #expect(size(database) > before + 4_000_000)

        // It had nothing to compare with, so the next comes after the short interval; so does the one after
        // it, since the writer committed in between. The writer's commits are what counts, not the log's
        // length, which can come out the same once the log has started over.
        for round in 1...2 {
            try await fill(store, round: round)
            before = size(database)
            try await tick(clock, 9)
            #expect(size(database) == before)
            try await tick(clock, 1)
            #expect(size(database) > before + 4_000_000)
        }

        // Nothing committed before the next one: back to the idle interval.
        try await tick(clock, 10)
        try await fill(store, round: 3)
        before = size(database)
        try await tick(clock, 99)
        #expect(size(database) == before)
        try await tick(clock, 1)
        #expect(size(database) > before + 4_000_000)
    }

    @Test func aStoreWithoutALogIsLeftAtTheIdlePace() async throws {
        let store = try Store.inMemory()
        let service = Checkpointer(
            store: store, busyInterval: .milliseconds(10), idleInterval: .milliseconds(100), logger: Logger(label: "test"))
        let checkpoint = try await store.checkpoint()
        #expect(checkpoint == nil)
        #expect(service.interval(after: checkpoint, previous: nil) == .milliseconds(100))
    }
}
