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

    /// Enough rows that SQLite's default (1,000 pages) would have made a commit checkpoint.
    func fill(_ store: Store) async throws {
        for batch in 0..<3 {
            try await store.write { db in
                for n in 0..<2_000 { try Store.setMeta(db, "filler-\(batch)-\(n)", String(repeating: "x", count: 900)) }
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
        let copied = try await store.checkpoint()
        #expect(copied > 1_000)
        #expect(size(database) > before + 4_000_000)
        #expect(try await store.writer.read { try Store.meta($0, "filler-2-1999") }?.count == 900)
    }

    @Test func theServiceCheckpointsEveryIntervalOfItsClock() async throws {
        let (directory, store) = try scratch()
        let database = directory.appendingPathComponent("t.sqlite").path
        let clock = TestClock<Duration>()
        let service = Checkpointer(store: store, clock: clock, interval: .milliseconds(100), logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        defer { running.cancel() }
        try await fill(store)
        let before = size(database)
        await clock.advance(by: .milliseconds(99))
        try await Task.sleep(for: .milliseconds(50))
        #expect(size(database) == before)
        await clock.advance(by: .milliseconds(1))
        #expect(try await eventually { size(database) > before + 4_000_000 })
    }
}
