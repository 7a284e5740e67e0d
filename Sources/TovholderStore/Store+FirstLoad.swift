import GRDB

/// A first load: an import into a store that holds no deadlines yet (moving a municipality over from its
/// case system) writes millions of deadline rows, and every one of them was also an entry, at a random
/// place, in each of the two secondary indexes of the deadline table: a third of the import's time at
/// 100k citizens. Built once over the loaded table, sorted, the same indexes cost a fraction of that.
///
/// So the first import batch into a store without deadlines drops them, in its own transaction (a batch
/// that is refused takes the drop back with it), and they are built again when the load ends: when the
/// importer says so (`citizen.import.finish`), when no import batch has come for a while (the writer's
/// own fallback), before a timer fires (their query walks the timer index) and when the daemon starts
/// (a load cut short by a crash). The missing indexes are themselves the record that a load is under
/// way; nothing else is kept. While they are missing everything stays correct: catch-up firings happen in
/// the import's own transaction, new timers reach the scheduler in memory, and `deadlines --overdue` walks
/// the table instead; the due-timer and earliest-timer queries run only after they are built again.
extension Store {
    /// The indexes a first load builds at its end, as the migrations made them (v1 and v3). A migration
    /// that changes either changes it here too (FirstLoadTests compares them with a migrated store's) and
    /// calls `endFirstLoad` first: it may run on a store where a load cut short left them out.
    static let deferredIndexes: [(name: String, sql: String)] = [
        ("deadline_timer", "CREATE INDEX deadline_timer ON deadline(next_fire_at) WHERE next_fire_at IS NOT NULL"),
        ("deadline_open_due", "CREATE INDEX deadline_open_due ON deadline(due) WHERE state = 'open'"),
    ]

    /// The deferred indexes missing from the store.
    static func missingIndexes(_ db: Database) throws -> [(name: String, sql: String)] {
        let present = Set(try String.fetchAll(
            db.cachedStatement(sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deadline'")))
        return deferredIndexes.filter { !present.contains($0.name) }
    }

    /// Whether a first load is under way: the deadline indexes it defers are missing.
    public static func isFirstLoad(_ db: Database) throws -> Bool {
        try !missingIndexes(db).isEmpty
    }

    /// Called in an import batch's transaction before it writes: when the store holds no deadlines, drops
    /// the indexes a first load defers (see above).
    public static func beginFirstLoadIfEmpty(_ db: Database) throws {
        guard try !isFirstLoad(db),
              try !Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM deadline)"))!
        else { return }
        for index in deferredIndexes { try db.execute(sql: "DROP INDEX \(index.name)") }
    }

    /// Ends a first load: builds the indexes it deferred, in the caller's transaction. Returns how long
    /// that took, or nil when no load was under way. Every place that ends a load reports the time this
    /// gives (the build holds the writer: about eight seconds at a million citizens).
    @discardableResult
    public static func endFirstLoad(_ db: Database) throws -> Duration? {
        let missing = try missingIndexes(db)
        guard !missing.isEmpty else { return nil }
        let started = ContinuousClock.now
        // The builds' sorts may use a helper thread (SQLite's sorter; the connection's default is none):
        // 5.4-5.7 s against 6.2-6.9 s for both at a million citizens.
        try db.execute(sql: "PRAGMA threads = \(Self.sortThreads)")
        defer { try? db.execute(sql: "PRAGMA threads = 0") }
        for index in missing { try db.execute(sql: index.sql) }
        return ContinuousClock.now - started
    }

    /// Threads an index build's sort may use besides the writer's own.
    static let sortThreads = 2
}
