import Foundation
import GRDB
import TovholderCore

/// A notification waiting in, or delivered from, the outbox.
public struct OutboxEntry: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        case pending, delivered, failed
    }

    public var id: Int64
    public var notice: Notice
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var createdAt: Int64
    public var deliveredAt: Int64?
    public var lastError: String?
}

extension Store {
    static let decoder = JSONDecoder()

    /// Queues notifications for delivery, several in each statement (a Monday-morning burst queues a
    /// hundred thousand: one statement each was a fifth of the writer's time). A key queued before is
    /// skipped (nothing changes), so a firing repeated after a crash cannot queue a stage twice. Returns
    /// how many were queued.
    @discardableResult
    public static func enqueue(_ db: Database, _ notices: [Notice], at millis: Int64, tallies: Tallies? = nil) throws -> Int {
        // The columns hold the key, citizen, rule, stage, recipient and channel; the payload the rest.
        let queued = try runInChunks(db, enqueueNotices, rows: notices) { notice, bind in
            bind(
                notice.key, notice.citizen, notice.rule, notice.stage, notice.recipient, notice.channel,
                String(decoding: notice.details.jsonBytes, as: UTF8.self), millis, millis)
        }
        try bump(db, "outbox.pending", by: queued, into: tallies)
        return queued
    }

    static let enqueueNotices = multiRowStatements("""
        INSERT OR IGNORE INTO outbox(key, citizen, rule, stage, recipient, channel, payload, next_attempt_at, created_at)
        """, columns: 9)

    /// Pending notifications whose attempt is due, oldest first; after `after` (the previous batch's last
    /// attempt time and id) when given, so that a batch can be read while the previous one is recorded.
    /// Both outbox queries name the partial index: left to itself, SQLite took `outbox_state` for
    /// `state = 'pending'`, read every pending row and sorted them — 0.6 s per batch with a backlog of a
    /// million, against 10 ms.
    public static func deliverable(_ db: Database, now: Int64, after: (at: Int64, id: Int64)? = nil, limit: Int) throws -> [OutboxEntry] {
        let after = after ?? (Int64.min, Int64.min)
        return try rows(db.cachedStatement(sql: deliverableQuery), db, now, after.at, after.id, limit, as: outboxEntry(from:))
            .compactMap { $0 }
    }

    static let deliverableQuery = """
        SELECT \(outboxColumns) FROM outbox INDEXED BY outbox_pending
        WHERE state = 'pending' AND next_attempt_at <= ? AND (next_attempt_at, id) > (?, ?)
        ORDER BY next_attempt_at, id LIMIT ?
        """

    /// When the next pending attempt is due.
    public static func nextAttempt(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM outbox INDEXED BY outbox_pending WHERE state = 'pending'")
    }

    public static func markDelivered(_ db: Database, ids: [Int64], at millis: Int64) throws {
        let statement = try db.cachedStatement(sql: """
            UPDATE outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL
            WHERE id = ? AND state = 'pending'
            """)
        var changed = 0
        for id in ids {
            try run(statement, db, millis, id)
            changed += db.changesCount
        }
        try bump(db, "outbox.pending", by: -changed)
        try bump(db, "outbox.delivered", by: changed)
    }

    /// Records a failed attempt: retried at `retryAt`, or failed for good when `retryAt` is nil.
    public static func markAttemptFailed(_ db: Database, id: Int64, error: String, retryAt: Int64?) throws {
        try db.cachedStatement(sql: """
            UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?, next_attempt_at = COALESCE(?, next_attempt_at)
            WHERE id = ? AND state = 'pending'
            """).execute(arguments: [String(error.prefix(500)), retryAt == nil ? "failed" : "pending", retryAt, id])
        if retryAt == nil, db.changesCount > 0 {
            try bump(db, "outbox.pending", by: -1)
            try bump(db, "outbox.failed", by: 1)
        }
    }

    public static func outbox(_ db: Database, state: OutboxEntry.State?, limit: Int) throws -> [OutboxEntry] {
        var sql = "SELECT \(outboxColumns) FROM outbox"
        var arguments: StatementArguments = []
        if let state {
            sql += " WHERE state = ?"
            arguments += [state.rawValue]
        }
        sql += " ORDER BY id DESC LIMIT ?"
        arguments += [limit]
        return try rows(db.makeStatement(sql: sql), db, arguments: arguments, as: outboxEntry(from:)).compactMap { $0 }
    }

    public static func outboxCounts(_ db: Database) throws -> [OutboxEntry.State: Int] {
        var counts: [OutboxEntry.State: Int] = [:]
        for state in OutboxEntry.State.allCases { counts[state] = try counter(db, "outbox.\(state.rawValue)") }
        return counts
    }

    /// The columns `outboxEntry(from:)` reads, in its order.
    static let outboxColumns =
        "id, payload, state, attempts, next_attempt_at, created_at, delivered_at, last_error, key, citizen, rule, stage, recipient, channel"

    /// An outbox row, or nil when its payload cannot be read as a notice's details.
    static func outboxEntry(from row: Columns) throws -> OutboxEntry? {
        guard let details = row.withBytes(1, { Notice.Details(plainJSON: UnsafeRawBufferPointer($0)) })
            ?? (try? decoder.decode(Notice.Details.self, from: Data(row.text(1).utf8)))
        else { return nil }
        let notification = Notice(
            key: row.text(8), citizen: row.text(9), rule: row.text(10), stage: row.text(11), recipient: row.text(12),
            channel: row.text(13), details: details)
        return OutboxEntry(
            id: row.int64(0), notice: notification, state: try row.value(2, as: OutboxEntry.State.self),
            attempts: row.int(3), nextAttemptAt: row.int64(4), createdAt: row.int64(5),
            deliveredAt: row.optionalInt64(6), lastError: row.optionalText(7))
    }
}
