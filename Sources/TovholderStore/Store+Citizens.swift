import GRDB
import TovholderCore

extension Store {
    /// Adds a citizen; a duplicate id is a conflict and changes nothing.
    public static func addCitizen(_ db: Database, _ citizen: Citizen, at millis: Int64) throws {
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM citizen WHERE id = ?", arguments: [citizen.id.rawValue]) == true {
            throw DomainError.conflict("citizen \(citizen.id) exists already")
        }
        try db.cachedStatement(sql: """
            INSERT INTO citizen(id, caseworker, takeover, visitation, track, household, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                citizen.id.rawValue, citizen.caseworker, citizen.takeover.description,
                citizen.visitation?.description, citizen.track?.rawValue, citizen.household, millis,
            ])
        try bump(db, "citizens", by: 1)
    }

    public static func citizen(_ db: Database, _ id: CitizenID) throws -> Citizen? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT * FROM citizen WHERE id = ?"), arguments: [id.rawValue]
        ).map(citizen(from:))
    }

    /// Citizens in id order, optionally of one caseworker, after `after` (for paging).
    public static func citizens(_ db: Database, caseworker: String?, after: String?, limit: Int) throws -> [Citizen] {
        var sql = "SELECT * FROM citizen WHERE id > ?"
        var arguments: StatementArguments = [after ?? ""]
        if let caseworker {
            sql += " AND caseworker = ?"
            arguments += [caseworker]
        }
        sql += " ORDER BY id LIMIT ?"
        arguments += [limit]
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(citizen(from:))
    }

    public static func citizenCount(_ db: Database) throws -> Int { try counter(db, "citizens") }

    static func citizen(from row: Row) -> Citizen {
        Citizen(
            id: CitizenID(trusted: row["id"]), caseworker: row["caseworker"],
            takeover: LocalDate(row["takeover"] as String)!,
            visitation: (row["visitation"] as String?).flatMap { LocalDate($0) },
            track: (row["track"] as String?).flatMap(Track.init(rawValue:)), household: row["household"])
    }

    // MARK: Events

    /// Appends an event and returns it with its sequence number.
    public static func appendEvent(
        _ db: Database, citizen: CitizenID, kind: EventKind, date: LocalDate, offer: OfferKind?, at millis: Int64,
        by caller: String
    ) throws -> CaseEvent {
        try db.cachedStatement(sql: """
            INSERT INTO event(citizen, kind, date, offer, recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [citizen.rawValue, kind.rawValue, date.description, offer?.rawValue, millis, caller])
        try bump(db, "events", by: 1)
        return CaseEvent(sequence: db.lastInsertedRowID, kind: kind, date: date, offer: offer)
    }

    /// A citizen's events in recording order.
    public static func events(_ db: Database, citizen: CitizenID) throws -> [CaseEvent] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT seq, kind, date, offer FROM event WHERE citizen = ? ORDER BY seq"),
            arguments: [citizen.rawValue]
        ).map { row in
            CaseEvent(
                sequence: row[0], kind: EventKind(rawValue: row[1])!, date: LocalDate(row[2] as String)!,
                offer: (row[3] as String?).flatMap(OfferKind.init(rawValue:)))
        }
    }

    public static func eventCount(_ db: Database) throws -> Int { try counter(db, "events") }
}
