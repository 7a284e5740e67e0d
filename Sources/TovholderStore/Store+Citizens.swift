import GRDB
import TovholderCore

extension Store {
    /// Adds a citizen; a duplicate id is a conflict and changes nothing. The primary key finds the
    /// duplicate: a look-up first would repeat the insert's own search (and an import has looked already).
    public static func addCitizen(_ db: Database, _ citizen: Citizen, at millis: Int64, tallies: Tallies? = nil) throws {
        do {
            try run(
                db.cachedStatement(sql: """
                    INSERT INTO citizen(id, caseworker, takeover, visitation, track, household, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """), db, citizen.id.rawValue, citizen.caseworker, citizen.takeover,
                citizen.visitation, citizen.track?.rawValue, citizen.household, millis)
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw DomainError.conflict("citizen \(citizen.id) exists already")
        }
        try bump(db, "citizens", by: 1, into: tallies)
    }

    public static func citizen(_ db: Database, _ id: CitizenID) throws -> Citizen? {
        try rows(db.cachedStatement(sql: citizenByID), db, id.rawValue, as: citizen(from:)).first
    }

    /// Hot queries' SQL is built once: interpolating it on every call, and hashing the result to find the
    /// cached statement, showed in the profile of every event.
    static let citizenByID = "SELECT \(citizenColumns) FROM citizen WHERE id = ?"

    /// The columns `citizen(from:)` reads, in its order.
    static let citizenColumns = "id, caseworker, takeover, visitation, track, household"

    /// Citizens in id order, optionally of one caseworker, after `after` (for paging).
    public static func citizens(_ db: Database, caseworker: String?, after: String?, limit: Int) throws -> [Citizen] {
        var sql = "SELECT \(citizenColumns) FROM citizen WHERE id > ?"
        var arguments: StatementArguments = [after ?? ""]
        if let caseworker {
            sql += " AND caseworker = ?"
            arguments += [caseworker]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments += [limit]
        return try rows(db.makeStatement(sql: sql), db, arguments: arguments, as: citizen(from:))
    }

    public static func citizenCount(_ db: Database) throws -> Int { try counter(db, "citizens") }

    static func citizen(from row: Columns) throws -> Citizen {
        Citizen(
            id: CitizenID(trusted: row.text(0)), caseworker: row.text(1), takeover: try row.date(2),
            visitation: try row.optionalDate(3), track: try row.optionalValue(4, as: Track.self),
            household: row.optionalText(5))
    }

    // MARK: Events

    /// The number of the event recorded after `history` (the citizen's events as stored): one past the
    /// citizen's last, so a new citizen's events are 1, 2, 3… (events stored before the v5 migration keep
    /// the store-wide numbers they had). Numbering per citizen needs no shared counter, and the table is
    /// keyed by (citizen, seq).
    public static func nextSequence(after history: [CaseEvent]) -> Int64 {
        (history.lazy.map(\.sequence).max() ?? 0) + 1
    }

    /// Appends a citizen's new events, numbered by `nextSequence`, several to a statement.
    public static func appendEvents(
        _ db: Database, citizen: CitizenID, _ events: [CaseEvent], at millis: Int64, by caller: String,
        tallies: Tallies? = nil
    ) throws {
        try runInChunks(db, insertEvents, rows: events) { event, bind in
            bind(citizen.rawValue, event.sequence, event.kind.rawValue, event.date, event.offer?.rawValue, millis, caller)
        }
        try bump(db, "events", by: events.count, into: tallies)
    }

    static let insertEvents = multiRowStatements(
        "INSERT INTO event(citizen, seq, kind, date, offer, recorded_at, recorded_by)", columns: 7)

    /// A citizen's events in recording order.
    public static func events(_ db: Database, citizen: CitizenID) throws -> [CaseEvent] {
        try rows(db.cachedStatement(sql: "SELECT seq, kind, date, offer FROM event WHERE citizen = ? ORDER BY seq"), db, citizen.rawValue) {
            CaseEvent(
                sequence: $0.int64(0), kind: try $0.value(1, as: EventKind.self), date: try $0.date(2),
                offer: try $0.optionalValue(3, as: OfferKind.self))
        }
    }

    public static func eventCount(_ db: Database) throws -> Int { try counter(db, "events") }
}
