import GRDB
import TovholderCore
import TovholderStore

/// A change to a citizen's case, applied by the CommandWriter inside a group-committed transaction.
public enum Command: Sendable {
    case addCitizen(Citizen)
    case recordEvent(citizen: CitizenID, kind: EventKind, date: LocalDate, offer: OfferKind?)

    /// The audit action name.
    public var action: String {
        switch self {
        case .addCitizen: "citizen.add"
        case .recordEvent: "event.record"
        }
    }

    public var citizenID: CitizenID {
        switch self {
        case .addCitizen(let citizen): citizen.id
        case .recordEvent(let id, _, _, _): id
        }
    }
}

/// A citizen with everything derived for them.
public struct CitizenSnapshot: Sendable {
    public var citizen: Citizen
    public var events: [CaseEvent]
    public var deadlines: [StoredDeadline]

    public init(citizen: Citizen, events: [CaseEvent], deadlines: [StoredDeadline]) {
        self.citizen = citizen
        self.events = events
        self.deadlines = deadlines
    }
}

extension Workflow {
    /// Applies one command. Throws DomainError for anything the caller got wrong; nothing is written then.
    func apply(_ command: Command, _ db: Database, now: Int64, caller: Caller) throws -> (CitizenSnapshot, Int64?) {
        switch command {
        case .addCitizen(let citizen):
            guard directory.knows(caseworker: citizen.caseworker) else {
                throw DomainError.invalid(
                    "unknown caseworker '\(citizen.caseworker)'; caseworkers are listed under [caseworkers] in the configuration")
            }
            if let visitation = citizen.visitation, visitation < citizen.takeover {
                throw DomainError.invalid("visitation \(visitation) is before the takeover \(citizen.takeover)")
            }
            if citizen.takeover > today(now).adding(days: 366) {
                throw DomainError.invalid("takeover \(citizen.takeover) is more than a year ahead")
            }
            try Store.addCitizen(db, citizen, at: now)
            let (deadlines, earliest) = try rederive(db, citizen: citizen, events: [])
            return (CitizenSnapshot(citizen: citizen, events: [], deadlines: deadlines), earliest)

        case .recordEvent(let id, let kind, let date, let offer):
            guard let citizen = try Store.citizen(db, id) else {
                throw DomainError.notFound("no citizen \(id)")
            }
            let history = try Store.events(db, citizen: id)
            let candidate = CaseEvent(sequence: Int64.max, kind: kind, date: date, offer: offer)
            try CaseHistory.check(candidate, citizen: citizen, events: history, today: today(now))
            let event = try Store.appendEvent(
                db, citizen: id, kind: kind, date: date, offer: offer, at: now, by: caller.name)
            let events = history + [event]
            let (deadlines, earliest) = try rederive(db, citizen: citizen, events: events)
            return (CitizenSnapshot(citizen: citizen, events: events, deadlines: deadlines), earliest)
        }
    }
}
