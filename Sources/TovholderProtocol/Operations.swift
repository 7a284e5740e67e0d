import TovholderCore

/// The operations, their parameters and their results. Field names are stable; the README documents them.
public enum RequestOperation: String, CaseIterable, Sendable {
    case status
    case citizenAdd = "citizen.add"
    case citizenShow = "citizen.show"
    case citizenList = "citizen.list"
    case citizenImport = "citizen.import"
    /// An import has sent its last batch (see `ImportFinishView`).
    case citizenImportFinish = "citizen.import.finish"
    case eventRecord = "event.record"
    case deadlines
    case notifications
    case audit
    case clockSet = "clock.set"
}

public struct CitizenAddParams: Codable, Sendable {
    public var id: CitizenID
    public var caseworker: String
    public var takeover: LocalDate
    public var visitation: LocalDate?
    public var track: Track?
    public var household: String?
    /// The case history so far, recorded with the citizen in one step.
    public var events: [NewEventParams]?

    public init(
        id: CitizenID, caseworker: String, takeover: LocalDate, visitation: LocalDate?, track: Track?,
        household: String?, events: [NewEventParams]? = nil
    ) {
        self.events = events
        self.id = id
        self.caseworker = caseworker
        self.takeover = takeover
        self.visitation = visitation
        self.track = track
        self.household = household
    }
}

extension CitizenAddParams {
    /// A citizen of a plain `citizen.import` batch, or nil when anything would need `JSONDecoder` to judge it.
    init?(_ object: [String: FlatRequest.Scalar]) {
        guard let id = object["id"]?.text, let citizen = try? CitizenID(validating: id),
            let caseworker = object["caseworker"]?.text,
            let takeover = object["takeover"]?.text.flatMap({ LocalDate($0) }),
            let visitation = object["visitation"].optional({ LocalDate($0) }),
            let track = object["track"].optional(Track.init(rawValue:)),
            let household = object["household"].optional({ $0 })
        else { return nil }
        var events: [NewEventParams]?
        switch object["events"] {
        case nil, .null?: events = nil
        case .objects(let list)?:
            var parsed: [NewEventParams] = []
            parsed.reserveCapacity(list.count)
            for event in list {
                guard let kind = (event["kind"]?.text).flatMap(EventKind.init(rawValue:)),
                    let date = (event["date"]?.text).flatMap({ LocalDate($0) }),
                    let offer = event["offer"].optional(OfferKind.init(rawValue:))
                else { return nil }
                parsed.append(NewEventParams(kind: kind, date: date, offer: offer))
            }
            events = parsed
        default: return nil
        }
        self.init(
            id: citizen, caseworker: caseworker, takeover: takeover, visitation: visitation, track: track,
            household: household, events: events)
    }
}

extension Optional where Wrapped == FlatRequest.Scalar {
    /// An optional field as JSONDecoder would read it: absent or null gives `.some(nil)`, a string that
    /// `parse` accepts gives its value, anything else nil (not plain: left to the decoder).
    func optional<T>(_ parse: (String) -> T?) -> T?? {
        switch self {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return parse(text).map { .some($0) }
        default: return nil
        }
    }
}

/// One event of a history given with `citizen.add`.
public struct NewEventParams: Codable, Sendable {
    public var kind: EventKind
    public var date: LocalDate
    public var offer: OfferKind?
    public init(kind: EventKind, date: LocalDate, offer: OfferKind?) {
        self.kind = kind
        self.date = date
        self.offer = offer
    }
}

public struct CitizenShowParams: Codable, Sendable {
    public var id: CitizenID
    public init(id: CitizenID) { self.id = id }

    /// The parameters from a plain request, or nil when anything would need `JSONDecoder` to judge it.
    public init?(_ flat: FlatRequest) {
        guard let raw = flat.string("id"), let id = try? CitizenID(validating: raw) else { return nil }
        self.id = id
    }
}

public struct CitizenListParams: Codable, Sendable {
    public var caseworker: String?
    /// Paging: list citizens with ids after this one.
    public var after: String?
    public var limit: Int?
    public init(caseworker: String? = nil, after: String? = nil, limit: Int? = nil) {
        self.caseworker = caseworker
        self.after = after
        self.limit = limit
    }
}

public struct EventRecordParams: Codable, Sendable {
    public var citizen: CitizenID
    public var kind: EventKind
    public var date: LocalDate
    public var offer: OfferKind?
    public init(citizen: CitizenID, kind: EventKind, date: LocalDate, offer: OfferKind?) {
        self.citizen = citizen
        self.kind = kind
        self.date = date
        self.offer = offer
    }

    /// The parameters from a plain request, or nil when anything would need `JSONDecoder` to judge it.
    public init?(_ flat: FlatRequest) {
        guard let raw = flat.string("citizen"), let citizen = try? CitizenID(validating: raw),
            let kind = flat.string("kind").flatMap(EventKind.init(rawValue:)),
            let date = flat.string("date").flatMap({ LocalDate($0) }),
            let offer = flat.params["offer"].optional(OfferKind.init(rawValue:))
        else { return nil }
        self.offer = offer
        self.citizen = citizen
        self.kind = kind
        self.date = date
    }
}

public struct DeadlinesParams: Codable, Sendable {
    public var citizen: CitizenID?
    public var overdue: Bool?
    public var dueBefore: LocalDate?
    public var caseworker: String?
    public var limit: Int?
    public init(citizen: CitizenID? = nil, overdue: Bool? = nil, dueBefore: LocalDate? = nil, caseworker: String? = nil, limit: Int? = nil) {
        self.citizen = citizen
        self.overdue = overdue
        self.dueBefore = dueBefore
        self.caseworker = caseworker
        self.limit = limit
    }
}

public struct NotificationsParams: Codable, Sendable {
    /// `pending`, `delivered` or `failed`; all when absent.
    public var state: String?
    public var limit: Int?
    public init(state: String? = nil, limit: Int? = nil) {
        self.state = state
        self.limit = limit
    }
}

public struct AuditParams: Codable, Sendable {
    public var citizen: CitizenID?
    public var limit: Int?
    public init(citizen: CitizenID? = nil, limit: Int? = nil) {
        self.citizen = citizen
        self.limit = limit
    }
}

/// A batch of citizens with their histories, imported all or nothing.
public struct CitizenImportParams: Codable, Sendable {
    public var citizens: [CitizenAddParams]
    /// Check the batch and report its problems, but store nothing.
    public var dryRun: Bool?
    public init(citizens: [CitizenAddParams], dryRun: Bool? = nil) {
        self.citizens = citizens
        self.dryRun = dryRun
    }

    /// The parameters from a plain request, or nil when anything would need `JSONDecoder` to judge it.
    public init?(_ flat: FlatRequest) {
        guard case .objects(let list)? = flat.params["citizens"] else { return nil }
        switch flat.params["dryRun"] {
        case nil, .null?: dryRun = nil
        case .boolean(let value)?: dryRun = value
        default: return nil
        }
        var citizens: [CitizenAddParams] = []
        citizens.reserveCapacity(list.count)
        for object in list {
            guard let citizen = CitizenAddParams(object) else { return nil }
            citizens.append(citizen)
        }
        self.citizens = citizens
    }
}

/// Moves a daemon started with `--simulated-clock` to another instant (drills and benchmarks).
public struct ClockSetParams: Codable, Sendable {
    /// Milliseconds since the Unix epoch.
    public var nowMillis: Int64
    public init(nowMillis: Int64) { self.nowMillis = nowMillis }
}
