import GRDB
import TovholderCore

/// Counter and deadline-tally changes gathered over a batch and written once per key, instead of one
/// upsert per changed row: a batch of 2,000 events touches a few dozen tally rows, not 6,000 times. The
/// batch's audit lines are gathered here too, in order, and written several to a statement.
/// Used inside one transaction only. Gather each command's changes in its own `Tallies` and `merge` it
/// into the batch's only once the command's savepoint is released, so a refused command leaves none.
public final class Tallies {
    struct Bucket: Hashable {
        var state: String
        var due: String
        var late: Int
    }

    var counters: [String: Int] = [:]
    var buckets: [Bucket: Int] = [:]
    /// Timers fired in the writer's own transaction because they were derived already due, and the notices
    /// they queued: not written to the store (the outbox counter above counts the notices), but reported
    /// to the scheduler's statistics once the transaction is on disk.
    public var caughtUp = (fired: 0, queued: 0)
    /// Audit lines in the order of what they record.
    public var audits: [AuditEntry] = []

    public init() {}

    public func merge(_ other: Tallies) {
        counters.merge(other.counters, uniquingKeysWith: +)
        buckets.merge(other.buckets, uniquingKeysWith: +)
        caughtUp.fired += other.caughtUp.fired
        caughtUp.queued += other.caughtUp.queued
        audits += other.audits
    }

    /// Writes what was gathered and starts again from nothing.
    public func flush(_ db: Database) throws {
        try Store.appendAudit(db, audits)
        audits = []
        for (name, delta) in counters { try Store.bump(db, name, by: delta) }
        for (bucket, delta) in buckets where delta != 0 {
            try Store.writeTally(db, bucket, by: delta)
        }
        counters = [:]
        buckets = [:]
    }
}
