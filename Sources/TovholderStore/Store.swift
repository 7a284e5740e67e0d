import Foundation
import GRDB
import Synchronization
import TovholderCore

/// The durable store: a SQLite file in WAL mode behind GRDB. Events are the truth; the `deadline` table is
/// a cache of what derivation gives, holding each deadline's timer, so that start-up need not derive
/// every citizen again. All methods that change data take a `Database` so callers compose one
/// transaction from several of them (an event, its deadlines, its audit line: all or nothing).
public struct Store: Sendable {
    public let writer: any DatabaseWriter
    /// Counts the write transactions committed through `write` and `writeNow` that may have changed
    /// what is counted (a batch of read audits alone does not move it): a cache of the counts read from
    /// the store is current while this has not moved.
    public let generation = Generation()

    /// A counter shared by every copy of a Store.
    public final class Generation: Sendable {
        private let value = Atomic<UInt64>(0)
        public var current: UInt64 { value.load(ordering: .acquiring) }
        func advance() { value.add(1, ordering: .releasing) }
    }

    /// Runs `body` in a write transaction and commits it. Every change to the store goes through here, the
    /// variant below that also times the commit, or `writeNow`.
    public func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        defer { generation.advance() }
        return try await writer.write(body)
    }

    /// `write`, also returning `clock()` read on the writing thread as soon as COMMIT returned: the instant
    /// the changes were on disk, without the way back to the caller (a thread's wake-up, which on a busy
    /// machine can take milliseconds). For figures that must end when the write is durable.
    public func write<T: Sendable>(
        committedAt clock: @escaping @Sendable () -> Int64, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws -> (value: T, committedAt: Int64) {
        defer { generation.advance() }
        return try await writer.writeWithoutTransaction { db in
            (try Self.transaction(db, "BEGIN IMMEDIATE", body), clock())
        }
    }

    /// `write`, blocking the calling thread: for the command writer's own thread, never for a task or an
    /// event loop. GRDB runs the work on the calling thread, so no thread is woken for it. The
    /// transaction's own statements are prepared once and kept: GRDB's `write` compiles BEGIN and COMMIT
    /// again for every transaction, and the writer commits up to a thousand a second of single events.
    /// `onlyAudit`: the transaction only appends to the audit trail, which no cached count includes.
    public func writeNow<T>(onlyAudit: Bool = false, _ body: (Database) throws -> T) throws -> T {
        defer { if !onlyAudit { generation.advance() } }
        return try writer.writeWithoutTransaction { db in try Self.transaction(db, "BEGIN IMMEDIATE", body) }
    }

    /// Reads on the calling thread, in one read transaction (one consistent snapshot) on a reader
    /// connection of the pool. As with `writeNow`, BEGIN and COMMIT are prepared once per connection:
    /// GRDB's `read` compiles both for every read, a sixth of the time a `citizen show` takes.
    public func readNow<T>(_ body: (Database) throws -> T) throws -> T {
        try writer.unsafeRead { db in try Self.transaction(db, "BEGIN DEFERRED", body) }
    }

    /// Runs `body` between `begin` and COMMIT, on statements the connection keeps; rolls back when it throws.
    private static func transaction<T>(_ db: Database, _ begin: String, _ body: (Database) throws -> T) throws -> T {
        try run(db.cachedStatement(sql: begin), db)
        do {
            let value = try body(db)
            try run(db.cachedStatement(sql: "COMMIT"), db)
            return value
        } catch {
            if db.isInsideTransaction { try? run(db.cachedStatement(sql: "ROLLBACK"), db) }
            throw error
        }
    }

    /// Runs `body` in a savepoint of the current transaction: what it wrote stays when it returns and is
    /// undone when it throws, and the transaction goes on either way. The savepoint's statements are
    /// prepared once (GRDB's `inSavepoint` compiles two statements a call: a tenth of the writer's time in
    /// an ingestion load, where every event has its own savepoint). Throws `TransactionLost` when the
    /// transaction cannot go on: SQLite ended it (a full disk, an I/O error), so the work of the
    /// savepoints before is gone too, or the savepoint itself could not be undone or released, so what
    /// `body` did cannot be told apart from the rest. Either way nothing more may be written as if all
    /// were well, and the caller rolls the whole transaction back.
    public static func savepoint<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try run(db.cachedStatement(sql: "SAVEPOINT command"), db)
        let value: T
        do {
            value = try body()
        } catch {
            guard db.isInsideTransaction else { throw TransactionLost(cause: error) }
            do {
                try run(db.cachedStatement(sql: "ROLLBACK TO command"), db)
                try run(db.cachedStatement(sql: "RELEASE command"), db)
            } catch let undo {
                throw TransactionLost(cause: undo)
            }
            throw error
        }
        do {
            // Also how a transaction SQLite ended inside `body` shows: there is no savepoint to release.
            try run(db.cachedStatement(sql: "RELEASE command"), db)
        } catch {
            throw TransactionLost(cause: error)
        }
        return value
    }

    /// The transaction cannot go on (see `savepoint`); the whole of it is rolled back.
    public struct TransactionLost: Error, CustomStringConvertible {
        public let cause: (any Error)?
        public var description: String {
            "the store rolled back the whole transaction" + (cause.map { ": \($0)" } ?? "")
        }
    }

    /// Opens (creating if needed) the store at `path` and migrates it. With `synchronous` "full" (the
    /// default) every commit is synced to disk before it returns; with "normal" only checkpoints are.
    public static func open(path: String, synchronous: String = "full") throws -> Store {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // The schema declares its foreign keys but SQLite does not enforce them: enforcement makes every
            // insert into `event` and `deadline` a statement transaction that copies each page it touches
            // to a sub-journal first (six times the bytes written, a third of an import's time). Every
            // change checks the citizen first, in the same transaction; the engine tests run
            // `PRAGMA foreign_key_check` after refused commands and imports.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA page_size = \(Self.pageSize)")
                // The one writer keeps 64 MiB of pages (SQLite's default is 2 MiB): an import batch or a
                // burst of firings touches far more than that.
                try db.execute(sql: "PRAGMA cache_size = -\(Self.writerCacheKiB)")
                // Checkpoints run on their own connection (`checkpoint()`; see the daemon's Checkpointer), not
                // in whichever commit crosses SQLite's 1,000-page mark: that commit also paid for copying
                // the log into a large database file and syncing it, and its acknowledgements waited (p99
                // 12-16 ms at 100k citizens). Past 10,000 pages (20 MB of 2 KiB pages) the writer checkpoints
                // itself: under a sustained load the background checkpoints have copied nearly all of it
                // by then, and a log that is fully copied at a commit starts over instead of growing.
                try db.execute(sql: "PRAGMA wal_autocheckpoint = \(Self.writerCheckpointPages)")
                // A log that grew during a large import is cut back to 64 MiB when it starts over.
                try db.execute(sql: "PRAGMA journal_size_limit = \(Self.logSizeLimit)")
            }
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Set here, not in `prepareDatabase`: GRDB turns a pool's writer to `synchronous = NORMAL` when it
        // switches the store to WAL, after `prepareDatabase` has run, and until 2026-11-23 the mode set there
        // never held (commits reached the log unsynced, and an acknowledged change survived a crash of the
        // process but not of the machine). Only the writer commits; the other connections read or
        // checkpoint, and a checkpoint syncs the same way in either mode.
        let mode = synchronous == "normal" ? "NORMAL" : "FULL"
        try pool.writeWithoutTransaction { try $0.execute(sql: "PRAGMA synchronous = \(mode)") }
        var store = Store(writer: pool)
        store.checkpointer = try DatabaseQueue(path: path, configuration: configuration)
        try store.migrate()
        return store
    }

    /// A private in-memory store for tests.
    public static func inMemory() throws -> Store {
        let store = Store(writer: try DatabaseQueue())
        try store.migrate()
        return store
    }

    public init(writer: any DatabaseWriter) { self.writer = writer }

    /// The page size of a new store (an existing one keeps its own).
    public static let pageSize = 2048

    /// The log size (in pages) past which a commit checkpoints in the writer itself.
    public static let writerCheckpointPages = 10_000
    /// The writer's page cache: 64 MiB (SQLite's default is 2 MiB).
    public static let writerCacheKiB = 65_536
    /// A write-ahead log that grew past this is cut back to it when it starts over: 64 MiB.
    public static let logSizeLimit = 64 << 20

    /// A connection of its own for checkpoints (nil for an in-memory store).
    var checkpointer: DatabaseQueue?

    /// What a checkpoint found and did.
    public struct Checkpoint: Sendable, Equatable {
        /// SQLite's `data_version` on the checkpointing connection, read before it: it changes whenever
        /// another connection (the writer) has committed since the previous look, whatever the log did.
        public var dataVersion: Int
        /// The log's frames that are in the database file now, in all (0 when the writer was checkpointing
        /// past its own limit right then).
        public var copied: Int
    }

    /// Copies what the write-ahead log holds into the database file, as far as readers allow, without
    /// holding up the writer (a passive checkpoint on a connection of its own). Nil for an in-memory store.
    @discardableResult
    public func checkpoint() async throws -> Checkpoint? {
        guard let checkpointer else { return nil }
        return try await checkpointer.writeWithoutTransaction { db in
            let version = try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0
            do {
                return Checkpoint(dataVersion: version, copied: try db.checkpoint(.passive).checkpointedFrameCount)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
                return Checkpoint(dataVersion: version, copied: 0)  // the next round goes on
            }
        }
    }

    func migrate() throws {
        try Self.migrator.migrate(writer)
    }

    /// Named, append-only migrations: never edit one that has shipped; add the next.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial") { db in
            try db.execute(sql: """
                CREATE TABLE citizen (
                    id TEXT PRIMARY KEY NOT NULL,
                    caseworker TEXT NOT NULL,
                    takeover TEXT NOT NULL,
                    visitation TEXT,
                    track TEXT,
                    household TEXT,
                    created_at INTEGER NOT NULL
                ) WITHOUT ROWID;
                CREATE INDEX citizen_caseworker ON citizen(caseworker);
                CREATE TABLE event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    citizen TEXT NOT NULL REFERENCES citizen(id),
                    kind TEXT NOT NULL,
                    date TEXT NOT NULL,
                    offer TEXT,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL
                );
                CREATE INDEX event_citizen ON event(citizen, seq);
                CREATE TABLE deadline (
                    citizen TEXT NOT NULL REFERENCES citizen(id),
                    rule TEXT NOT NULL,
                    instance TEXT NOT NULL,
                    rule_version TEXT,
                    trigger_date TEXT NOT NULL,
                    due TEXT NOT NULL,
                    state TEXT NOT NULL,
                    closed_on TEXT,
                    progress INTEGER NOT NULL,
                    required INTEGER NOT NULL,
                    suspended_days INTEGER NOT NULL,
                    last_stage INTEGER NOT NULL DEFAULT -1,
                    next_fire_at INTEGER,
                    PRIMARY KEY (citizen, rule, instance)
                ) WITHOUT ROWID;
                CREATE INDEX deadline_timer ON deadline(next_fire_at) WHERE next_fire_at IS NOT NULL;
                CREATE INDEX deadline_state_due ON deadline(state, due);
                CREATE TABLE outbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    key TEXT NOT NULL UNIQUE,
                    citizen TEXT NOT NULL,
                    rule TEXT NOT NULL,
                    stage TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    state TEXT NOT NULL DEFAULT 'pending',
                    attempts INTEGER NOT NULL DEFAULT 0,
                    next_attempt_at INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    delivered_at INTEGER,
                    last_error TEXT
                );
                CREATE INDEX outbox_pending ON outbox(next_attempt_at) WHERE state = 'pending';
                CREATE INDEX outbox_state ON outbox(state, id);
                CREATE TABLE audit (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at INTEGER NOT NULL,
                    uid INTEGER,
                    pid INTEGER,
                    caller TEXT NOT NULL,
                    action TEXT NOT NULL,
                    citizen TEXT,
                    outcome TEXT NOT NULL
                );
                CREATE INDEX audit_citizen ON audit(citizen, id);
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2-tallies") { db in
            // Counts kept in the transactions that change what they count, so `status` reads a few rows
            // instead of counting millions. Open deadlines are tallied by due date (overdue depends on today).
            try db.execute(sql: """
                CREATE TABLE deadline_tally (
                    state TEXT NOT NULL,
                    due TEXT NOT NULL,
                    late INTEGER NOT NULL,
                    n INTEGER NOT NULL,
                    PRIMARY KEY (state, due, late)
                ) WITHOUT ROWID;
                INSERT INTO deadline_tally(state, due, late, n)
                    SELECT state, CASE WHEN state = 'open' THEN due ELSE '' END,
                           CASE WHEN state = 'met' AND closed_on > due THEN 1 ELSE 0 END, COUNT(*)
                    FROM deadline GROUP BY 1, 2, 3;
                CREATE TABLE counter (name TEXT PRIMARY KEY NOT NULL, n INTEGER NOT NULL) WITHOUT ROWID;
                INSERT INTO counter(name, n) VALUES
                    ('citizens', (SELECT COUNT(*) FROM citizen)),
                    ('events', (SELECT COUNT(*) FROM event)),
                    ('outbox.pending', (SELECT COUNT(*) FROM outbox WHERE state = 'pending')),
                    ('outbox.delivered', (SELECT COUNT(*) FROM outbox WHERE state = 'delivered')),
                    ('outbox.failed', (SELECT COUNT(*) FROM outbox WHERE state = 'failed'));
                """)
        }
        migrator.registerMigration("v3-open-deadlines-index") { db in
            // Only open deadlines are listed by due date (`deadlines --overdue`); counts come from the tallies.
            // Two thirds of the deadlines of five years of histories are closed, and every one of them was
            // also an entry in a (state, due) index at a random place: a third of the B-tree inserts of an
            // import.
            try db.execute(sql: """
                DROP INDEX deadline_state_due;
                CREATE INDEX deadline_open_due ON deadline(due) WHERE state = 'open';
                """)
        }
        migrator.registerMigration("v4-outbox-failed-index") { db in
            // Every notice queued was also an entry in a (state, id) index, moved again when it was
            // delivered: a fifth of a Monday-morning burst. Operators list notices newest first; pending and
            // delivered ones are found by walking the table from its newest row, failed ones (few, and
            // possibly old) through an index of their own.
            try db.execute(sql: """
                DROP INDEX outbox_state;
                CREATE INDEX outbox_failed ON outbox(id) WHERE state = 'failed';
                """)
        }
        migrator.registerMigration("v5-events-by-citizen") { db in
            // Every change reads the citizen's whole history. Through the (citizen, seq) index that was one
            // seek for the index entries and one more into the table for every event (a dozen or more), and
            // every append wrote both B-trees. Keyed by (citizen, seq), a citizen's events sit together in
            // one B-tree: one seek and a short scan, one insert. Events keep their numbers; from now on a
            // citizen's next event is numbered one past their last (`Store.appendEvent`).
            try db.execute(sql: """
                CREATE TABLE event_by_citizen (
                    citizen TEXT NOT NULL REFERENCES citizen(id),
                    seq INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    date TEXT NOT NULL,
                    offer TEXT,
                    recorded_at INTEGER NOT NULL,
                    recorded_by TEXT NOT NULL,
                    PRIMARY KEY (citizen, seq)
                ) WITHOUT ROWID;
                INSERT INTO event_by_citizen(citizen, seq, kind, date, offer, recorded_at, recorded_by)
                    SELECT citizen, seq, kind, date, offer, recorded_at, recorded_by FROM event ORDER BY citizen, seq;
                DROP TABLE event;
                ALTER TABLE event_by_citizen RENAME TO event;
                DELETE FROM sqlite_sequence WHERE name = 'event';
                """)
        }
        return migrator
    }

    // MARK: Counters

    static func bump(_ db: Database, _ name: String, by delta: Int, into tallies: Tallies? = nil) throws {
        guard delta != 0 else { return }
        if let tallies {
            tallies.counters[name, default: 0] += delta
            return
        }
        try run(db.cachedStatement(sql: "UPDATE counter SET n = n + ? WHERE name = ?"), db, delta, name)
    }

    public static func counter(_ db: Database, _ name: String) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT n FROM counter WHERE name = ?"), arguments: [name]) ?? 0
    }

    // MARK: Meta

    public static func meta(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    public static func setMeta(_ db: Database, _ key: String, _ value: String) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", arguments: [key, value])
    }
}
