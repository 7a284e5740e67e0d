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

    /// The writer's other settings, which GRDB could also have set after `prepareDatabase`, hold as well.
    @Test func theWritersOtherSettingsHold() throws {
        let store = try Store.open(path: try scratchFile("sync", "settings.sqlite"))
        let (foreignKeys, cache, logLimit) = try store.writer.writeWithoutTransaction { db in
            (try Int.fetchOne(db, sql: "PRAGMA foreign_keys"), try Int.fetchOne(db, sql: "PRAGMA cache_size"),
             try Int.fetchOne(db, sql: "PRAGMA journal_size_limit"))
        }
        #expect(foreignKeys == 0)
        #expect(cache == -Store.writerCacheKiB)  // negative: KiB, not pages
        #expect(logLimit == Store.logSizeLimit)
    }
}
