import GRDB
import Testing
import TovholderStore

/// An acknowledged change is on disk: the writer's commits are synced, whatever GRDB sets when it opens a pool.
struct DurabilityTests {
    /// SQLite's `PRAGMA synchronous` on the writer's connection: 2 is FULL (every commit synced), 1 NORMAL.
    func writerSynchronous(_ store: Store) throws -> Int? {
        try store.writer.writeWithoutTransaction { try Int.fetchOne($0, sql: "PRAGMA synchronous") }
    }

    @Test func commitsAreSyncedUnlessNormalIsAskedFor() throws {
        let full = try Store.open(path: try scratchFile("sync", "full.sqlite"))
        #expect(try writerSynchronous(full) == 2)
        let journal = try full.writer.writeWithoutTransaction { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        let normal = try Store.open(path: try scratchFile("sync", "normal.sqlite"), synchronous: "normal")
        #expect(try writerSynchronous(normal) == 1)
    }

    @Test func aReopenedStoreSyncsItsCommitsToo() throws {
        let path = try scratchFile("sync", "again.sqlite")
        _ = try Store.open(path: path)
        #expect(try writerSynchronous(try Store.open(path: path)) == 2)
    }
}
