import GRDB
import TovholderCore

extension Store {
    /// Adds a citizen; a duplicate id is a conflict and changes nothing.
    public static func addCitizen(_ db: Database, _ citizen: Citizen, at millis: Int64, tallies: Tallies? = nil) throws {
        if try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM citizen WHERE id = ?"), arguments: [citizen.id.rawValue]) == true {
            throw DomainError.conflict("citizen \(citizen.id) exists already")
        }
        try run(
            db.cachedStatement(sql: """
                INSERT INTO citizen(id, caseworker, takeover, visitation, track, household, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """), db, citizen.id.rawValue, citizen.caseworker, citizen.takeover.description,
            citizen.visitation?.description, citizen.track?.rawValue, citizen.household, millis)
        try bump(db, "citizens", by: 1, into: tallies)
    }

    public static func citizen(_ db: Database, _ id: CitizenID) throws -> Citizen? {
        try all(db.cachedStatement(sql: "SELECT \(citizenColumns) FROM citizen WHERE id = ?"), [id.rawValue], citizen(from:)).first
    }

    /// The columns `citizen(from:)` reads, in its order.
    static let citizenColumns = "id, caseworker, takeover, visitation, track, household"

    /// Every row of a statement, read in place (no copy of each row) and transformed.
    static func all<T>(_ statement: Statement, _ arguments: StatementArguments, _ transform: (Row) -> T) throws -> [T] {
        var result: [T] = []
        let rows = try Row.fetchCursor(statement, arguments: arguments)
        while let row = try rows.next() { result.append(transform(row)) }
        return result
    }

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
        return try all(db.makeStatement(sql: sql), arguments, citizen(from:))
    }

    public static func citizenCount(_ db: Database) throws -> Int { try counter(db, "citizens") }

    static func citizen(from row: Row) -> Citizen {
        Citizen(
            id: CitizenID(trusted: row[0]), caseworker: row[1], takeover: LocalDate(row[2] as String)!,
            visitation: (row[3] as String?).flatMap { LocalDate($0) },
            track: (row[4] as String?).flatMap(Track.init(rawValue:)), household: row[5])
    }

    // MARK: Events

    /// Appends an event and returns it with its sequence number.
    public static func appendEvent(
        _ db: Database, citizen: CitizenID, kind: EventKind, date: LocalDate, offer: OfferKind?, at millis: Int64,
        by caller: String, tallies: Tallies? = nil
    ) throws -> CaseEvent {
        try run(
            db.cachedStatement(sql: """
                INSERT INTO event(citizen, kind, date, offer, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?)
                """), db, citizen.rawValue, kind.rawValue, date.description, offer?.rawValue, millis, caller)
        try bump(db, "events", by: 1, into: tallies)
        return CaseEvent(sequence: db.lastInsertedRowID, kind: kind, date: date, offer: offer)
    }

    /// A citizen's events in recording order.
    public static func events(_ db: Database, citizen: CitizenID) throws -> [CaseEvent] {
        try all(
            db.cachedStatement(sql: "SELECT seq, kind, date, offer FROM event WHERE citizen = ? ORDER BY seq"),
            [citizen.rawValue]
        ) { row in
            CaseEvent(
                sequence: row[0], kind: EventKind(rawValue: row[1])!, date: LocalDate(row[2] as String)!,
                offer: (row[3] as String?).flatMap(OfferKind.init(rawValue:)))
        }
    }

    public static func eventCount(_ db: Database) throws -> Int { try counter(db, "events") }
}
