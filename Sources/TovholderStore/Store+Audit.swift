import GRDB

/// One line of the audit trail: who read or changed what, when, and with what outcome.
public struct AuditEntry: Sendable, Hashable {
    public var id: Int64
    public var at: Int64
    public var uid: Int?
    public var pid: Int?
    /// The caller as the control socket knows them (user name from the peer's uid).
    public var caller: String
    /// The request, e.g. `citizen.show` or `event.record`.
    public var action: String
    public var citizen: String?
    /// `ok`, or the error kind.
    public var outcome: String

    public init(id: Int64 = 0, at: Int64, uid: Int?, pid: Int?, caller: String, action: String, citizen: String?, outcome: String) {
        self.id = id
        self.at = at
        self.uid = uid
        self.pid = pid
        self.caller = caller
        self.action = action
        self.citizen = citizen
        self.outcome = outcome
    }
}

extension Store {
    /// Appends entries in order, several in each statement: a batch of changes writes one per change, and
    /// an import one per citizen.
    public static func appendAudit(_ db: Database, _ entries: [AuditEntry]) throws {
        try runInChunks(db, appendAuditEntries, rows: entries) { entry, bind in
            bind(entry.at, entry.uid, entry.pid, entry.caller, entry.action, entry.citizen, entry.outcome)
        }
    }

    static let appendAuditEntries = multiRowStatements(
        "INSERT INTO audit(at, uid, pid, caller, action, citizen, outcome)", columns: 7)

    /// The newest entries first, optionally for one citizen.
    public static func audit(_ db: Database, citizen: String?, limit: Int) throws -> [AuditEntry] {
        let rows: [Row]
        if let citizen {
            rows = try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE citizen = ? ORDER BY id DESC LIMIT ?", arguments: [citizen, limit])
        } else {
            rows = try Row.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id DESC LIMIT ?", arguments: [limit])
        }
        return rows.map { row in
            AuditEntry(
                id: row["id"], at: row["at"], uid: row["uid"], pid: row["pid"], caller: row["caller"],
                action: row["action"], citizen: row["citizen"], outcome: row["outcome"])
        }
    }
}
