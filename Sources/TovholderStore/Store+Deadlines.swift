import GRDB
import TovholderCore

/// A derived deadline as stored, with its timer: the last stage sent (-1 for none) and when the next
/// stage fires (nil when the deadline is closed or every stage has been sent).
public struct StoredDeadline: Sendable, Hashable {
    public var deadline: Deadline
    public var lastStage: Int
    public var nextFireAt: Int64?

    public init(deadline: Deadline, lastStage: Int, nextFireAt: Int64?) {
        self.deadline = deadline
        self.lastStage = lastStage
        self.nextFireAt = nextFireAt
    }
}

/// Filters for listing deadlines.
public struct DeadlineFilter: Sendable {
    public var citizen: CitizenID?
    public var caseworker: String?
    public var overdueOn: LocalDate?
    public var dueBefore: LocalDate?
    public var limit: Int

    public init(
        citizen: CitizenID? = nil, caseworker: String? = nil, overdueOn: LocalDate? = nil, dueBefore: LocalDate? = nil,
        limit: Int = 10_000
    ) {
        self.citizen = citizen
        self.caseworker = caseworker
        self.overdueOn = overdueOn
        self.dueBefore = dueBefore
        self.limit = limit
    }
}

extension Store {
    /// The columns `storedDeadline(from:)` reads, in its order (positional access is the hot path).
    static let deadlineColumns = """
        deadline.citizen, deadline.rule, deadline.instance, deadline.rule_version, deadline.trigger_date, deadline.due,
        deadline.state, deadline.closed_on, deadline.progress, deadline.required, deadline.suspended_days,
        deadline.last_stage, deadline.next_fire_at
        """

    /// A citizen's deadlines by trigger date, rule and instance. SQLite reads them in key order (rule,
    /// instance) and would sort a dozen rows in a temporary B-tree; they are sorted here instead, unless
    /// `sorted` is false (the writer, which only compares them with a new derivation).
    public static func deadlines(_ db: Database, citizen: CitizenID, sorted: Bool = true) throws -> [StoredDeadline] {
        let stored = try rows(db.cachedStatement(sql: deadlinesOfCitizen), db, citizen.rawValue, as: storedDeadline(from:))
        guard sorted else { return stored }
        return stored.sorted {
            ($0.deadline.triggerDate, $0.deadline.rule, $0.deadline.instance)
                < ($1.deadline.triggerDate, $1.deadline.rule, $1.deadline.instance)
        }
    }

    static let deadlinesOfCitizen = "SELECT \(deadlineColumns) FROM deadline WHERE citizen = ?"
    static let dueTimersQuery = """
        SELECT \(deadlineColumns), citizen.caseworker FROM deadline JOIN citizen ON citizen.id = deadline.citizen
        WHERE next_fire_at IS NOT NULL AND next_fire_at <= ? ORDER BY next_fire_at LIMIT ?
        """

    /// Replaces a citizen's stored deadlines with `new`, inserting, updating or deleting only what changed.
    /// `existing` is what is stored now, when the caller has read it already.
    public static func replaceDeadlines(
        _ db: Database, citizen: CitizenID, with new: [StoredDeadline], existing: [StoredDeadline]? = nil,
        tallies: Tallies? = nil
    ) throws {
        let old = try existing ?? deadlines(db, citizen: citizen, sorted: false)
        var kept = [Bool](repeating: false, count: old.count)
        var inserts: [StoredDeadline] = []
        for item in new {
            var previous: StoredDeadline?
            if let match = old.firstIndex(where: { $0.deadline.isSame(as: item.deadline) }) {
                kept[match] = true
                previous = old[match]
            }
            if previous == item { continue }
            if let previous { try tally(db, previous.deadline, by: -1, into: tallies) }
            try tally(db, item.deadline, by: 1, into: tallies)
            let d = item.deadline
            guard let previous else {
                inserts.append(item)
                continue
            }
            // An UPDATE touches only the indexes whose columns (or partial-index conditions) it sets: most
            // events move a deadline's progress or closing date, not its due date, state or timer, and then
            // its two index entries stay where they are (INSERT OR REPLACE deleted and inserted both).
            if previous.deadline.due == d.due && previous.deadline.state == d.state && previous.nextFireAt == item.nextFireAt {
                try run(
                    db.cachedStatement(sql: updateDeadlineInPlace), db, d.ruleVersion,
                    d.triggerDate, d.closedOn, d.progress, d.required, d.suspendedDays,
                    item.lastStage, d.citizen.rawValue, d.rule, d.instance)
            } else {
                try run(
                    db.cachedStatement(sql: updateDeadline), db, d.ruleVersion, d.triggerDate,
                    d.due, d.state.rawValue, d.closedOn, d.progress, d.required, d.suspendedDays,
                    item.lastStage, item.nextFireAt, d.citizen.rawValue, d.rule, d.instance)
            }
        }
        // New rows in statements of several rows each: a citizen added or imported has a dozen.
        try runInChunks(db, insertDeadlines, rows: inserts) { item, bind in
            let d = item.deadline
            bind(
                d.citizen.rawValue, d.rule, d.instance, d.ruleVersion, d.triggerDate, d.due, d.state.rawValue,
                d.closedOn, d.progress, d.required, d.suspendedDays, item.lastStage, item.nextFireAt)
        }
        let delete = try db.cachedStatement(sql: "DELETE FROM deadline WHERE citizen = ? AND rule = ? AND instance = ?")
        for (index, item) in old.enumerated() where !kept[index] {
            try tally(db, item.deadline, by: -1, into: tallies)
            try run(delete, db, citizen.rawValue, item.deadline.rule, item.deadline.instance)
        }
    }

    /// OR REPLACE: a caller that said nothing is stored (a citizen just added) cannot make it fail.
    static let insertDeadlines = multiRowStatements("""
        INSERT OR REPLACE INTO deadline(citizen, rule, instance, rule_version, trigger_date, due, state, closed_on, progress,
            required, suspended_days, last_stage, next_fire_at)
        """, columns: 13)
    static let updateDeadline = """
        UPDATE deadline SET rule_version = ?, trigger_date = ?, due = ?, state = ?, closed_on = ?, progress = ?, required = ?,
            suspended_days = ?, last_stage = ?, next_fire_at = ?
        WHERE citizen = ? AND rule = ? AND instance = ?
        """
    /// The same, leaving the indexed columns (due, state, timer) as they are.
    static let updateDeadlineInPlace = """
        UPDATE deadline SET rule_version = ?, trigger_date = ?, closed_on = ?, progress = ?, required = ?,
            suspended_days = ?, last_stage = ?
        WHERE citizen = ? AND rule = ? AND instance = ?
        """

    /// Deadlines whose timer is due at `now`, earliest first, with their citizen's caseworker.
    public static func dueTimers(_ db: Database, now: Int64, limit: Int) throws -> [(StoredDeadline, caseworker: String)] {
        try rows(db.cachedStatement(sql: dueTimersQuery), db, now, limit) { (try storedDeadline(from: $0), $0.text(13)) }
    }

    /// A deadline's stages sent up to `lastStage`, and its next timer.
    public struct TimerSetting: Sendable {
        public var deadline: Deadline
        public var lastStage: Int
        public var nextFireAt: Int64?

        public init(_ deadline: Deadline, lastStage: Int, nextFireAt: Int64?) {
            self.deadline = deadline
            self.lastStage = lastStage
            self.nextFireAt = nextFireAt
        }
    }

    /// Records for each deadline that stages up to `lastStage` were sent and arms the next one, several
    /// deadlines in each statement (each finds its row by the primary key).
    public static func setTimers(_ db: Database, _ settings: [TimerSetting]) throws {
        try runInChunks(db, setTimersStatements, rows: settings) { setting, bind in
            let d = setting.deadline
            bind(d.citizen.rawValue, d.rule, d.instance, setting.lastStage, setting.nextFireAt)
        }
    }

    static let setTimersStatements = multiRowStatements(
        "UPDATE deadline SET last_stage = v.column4, next_fire_at = v.column5 FROM (", columns: 5,
        tail: """
            ) AS v WHERE deadline.citizen = v.column1 AND deadline.rule = v.column2 AND deadline.instance = v.column3
            """)

    /// The earliest armed timer.
    public static func earliestTimer(_ db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MIN(next_fire_at) FROM deadline WHERE next_fire_at IS NOT NULL")
    }

    public static func deadlines(_ db: Database, matching filter: DeadlineFilter) throws -> [StoredDeadline] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        var join = ""
        if let citizen = filter.citizen {
            conditions.append("deadline.citizen = ?")
            arguments += [citizen.rawValue]
        }
        if let caseworker = filter.caseworker {
            join = " JOIN citizen ON citizen.id = deadline.citizen"
            conditions.append("citizen.caseworker = ?")
            arguments += [caseworker]
        }
        if let today = filter.overdueOn {
            conditions.append("deadline.state = 'open' AND deadline.due < ?")
            arguments += [today.description]
        }
        if let before = filter.dueBefore {
            conditions.append("deadline.due < ?")
            arguments += [before.description]
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        arguments += [filter.limit]
        return try rows(
            db.makeStatement(
                sql: "SELECT \(deadlineColumns) FROM deadline\(join)\(whereClause) ORDER BY deadline.due, deadline.citizen, deadline.rule LIMIT ?"),
            db, arguments: arguments, as: storedDeadline(from:))
    }

    /// Deadlines counted by the status they have on `today`, from the tally: three range sums over its
    /// primary key (state, due, late), no sorting, whatever the number of deadlines.
    public static func statusCounts(_ db: Database, today: LocalDate) throws -> [DeadlineStatus: Int] {
        func sum(_ sql: String, _ arguments: StatementArguments = []) throws -> Int {
            try Int.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) ?? 0
        }
        let day = today.description
        return [
            .overdue: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'open' AND due < ?", [day]),
            .pending: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'open' AND due >= ?", [day]),
            .met: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'met' AND due = '' AND late = 0"),
            .metLate: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'met' AND due = '' AND late = 1"),
            .waived: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'waived'"),
            .suspended: try sum("SELECT TOTAL(n) FROM deadline_tally WHERE state = 'suspended'"),
        ]
    }

    /// Adds `delta` to the tally bucket of a deadline, now or, given `tallies`, when they are flushed.
    static func tally(_ db: Database, _ deadline: Deadline, by delta: Int, into tallies: Tallies? = nil) throws {
        let late = deadline.state == .met && (deadline.closedOn ?? deadline.due) > deadline.due
        let bucket = Tallies.Bucket(
            state: deadline.state.rawValue, due: deadline.state == .open ? deadline.due.description : "", late: late ? 1 : 0)
        if let tallies {
            tallies.buckets[bucket, default: 0] += delta
        } else {
            try writeTally(db, bucket, by: delta)
        }
    }

    static func writeTally(_ db: Database, _ bucket: Tallies.Bucket, by delta: Int) throws {
        try run(
            db.cachedStatement(sql: """
                INSERT INTO deadline_tally(state, due, late, n) VALUES (?, ?, ?, ?)
                ON CONFLICT(state, due, late) DO UPDATE SET n = n + excluded.n
                """), db, bucket.state, bucket.due, bucket.late, delta)
    }

    /// Every citizen id, in order, for re-deriving after a rulebook change.
    public static func citizenIDs(_ db: Database, after: String, limit: Int) throws -> [CitizenID] {
        try String.fetchAll(db, sql: "SELECT id FROM citizen WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, limit])
            .map(CitizenID.init(trusted:))
    }

    static func storedDeadline(from row: Columns) throws -> StoredDeadline {
        let deadline = Deadline(
            citizen: CitizenID(trusted: row.text(0)), rule: row.text(1), instance: row.text(2),
            ruleVersion: try row.optionalDate(3), triggerDate: try row.date(4), due: try row.date(5),
            state: try row.value(6, as: DeadlineState.self), closedOn: try row.optionalDate(7), progress: row.int(8),
            required: row.int(9), suspendedDays: row.int(10))
        return StoredDeadline(deadline: deadline, lastStage: row.int(11), nextFireAt: row.optionalInt64(12))
    }
}
