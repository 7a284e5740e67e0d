import GRDB
import TovholderCore
import TovholderStore

/// A change to a citizen's case, applied by the CommandWriter inside a group-committed transaction.
public enum Command: Sendable {
    /// Adds a citizen with the history known so far, all at once: no stage fires on a half-entered case.
    case addCitizen(Citizen, history: [NewEvent] = [])
    case recordEvent(citizen: CitizenID, kind: EventKind, date: LocalDate, offer: OfferKind?)
    /// Imports a batch all or nothing; see `Workflow.importBatch`. A dry run stores nothing.
    case importBatch([ImportItem], dryRun: Bool = false)
    /// An import has sent its last batch: a first load builds the indexes it left out (Store+FirstLoad).
    case finishImport

    /// The audit action name.
    public var action: String {
        switch self {
        case .addCitizen: "citizen.add"
        case .recordEvent: "event.record"
        case .importBatch: "citizen.import"
        case .finishImport: "citizen.import.finish"
        }
    }

    /// An import that only checks.
    public var isDryRun: Bool {
        if case .importBatch(_, true) = self { return true }
        return false
    }

    /// The citizen a single-citizen command is about.
    public var citizenID: CitizenID? {
        switch self {
        case .addCitizen(let citizen, _): citizen.id
        case .recordEvent(let id, _, _, _): id
        case .importBatch, .finishImport: nil
        }
    }
}

/// What a command returns.
public enum CommandResult: Sendable {
    case citizen(CitizenSnapshot)
    case imported(ImportSummary)
    /// An import finished; when it was a first load, how long building its indexes took.
    case importFinished(indexBuild: Duration?)

    public var snapshot: CitizenSnapshot? {
        if case .citizen(let snapshot) = self { return snapshot }
        return nil
    }
}

/// An event to record: kind, effective date and, for offers, the offer kind.
public struct NewEvent: Sendable, Hashable {
    public var kind: EventKind
    public var date: LocalDate
    public var offer: OfferKind?

    public init(kind: EventKind, date: LocalDate, offer: OfferKind? = nil) {
        self.kind = kind
        self.date = date
        self.offer = offer
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
    /// Counter and tally changes go to `tallies`, for the caller to write once the command is kept.
    func apply(_ command: Command, _ db: Database, now: Int64, caller: Caller, tallies: Tallies) throws -> (CommandResult, Int64?) {
        switch command {
        case .importBatch(let items, let dryRun):
            return try importBatch(items, dryRun: dryRun, db, now: now, caller: caller, tallies: tallies)
        case .finishImport:
            return (.importFinished(indexBuild: try Store.endFirstLoad(db)), nil)
        case .addCitizen, .recordEvent:
            let (snapshot, timer) = try applyToCitizen(command, db, now: now, caller: caller, tallies: tallies)
            return (.citizen(snapshot), timer)
        }
    }

    func applyToCitizen(
        _ command: Command, _ db: Database, now: Int64, caller: Caller, tallies: Tallies
    ) throws -> (CitizenSnapshot, Int64?) {
        switch command {
        case .importBatch, .finishImport:
            preconditionFailure("not a single-citizen command")
        case .addCitizen(let citizen, let history):
            try check(citizen, now: now)
            try Store.addCitizen(db, citizen, at: now, tallies: tallies)
            let events = try append(history, to: citizen, history: [], db, now: now, caller: caller, tallies: tallies)
            let (deadlines, earliest) = try rederive(db, citizen: citizen, events: events, fresh: true, firingAt: now, tallies: tallies)
            return (CitizenSnapshot(citizen: citizen, events: events, deadlines: deadlines), earliest)

        case .recordEvent(let id, let kind, let date, let offer):
            guard let citizen = try Store.citizen(db, id) else {
                throw DomainError.notFound("no citizen \(id)")
            }
            let history = try Store.events(db, citizen: id)
            let events = history + (try append(
                [NewEvent(kind: kind, date: date, offer: offer)], to: citizen, history: history, db, now: now, caller: caller,
                tallies: tallies))
            let (deadlines, earliest) = try rederive(db, citizen: citizen, events: events, firingAt: now, tallies: tallies)
            return (CitizenSnapshot(citizen: citizen, events: events, deadlines: deadlines), earliest)
        }
    }

    /// Checks new events against the history, each after the ones before it, and appends them (in one
    /// statement for a new citizen's history); returns them as stored.
    func append(
        _ items: [NewEvent], to citizen: Citizen, history: [CaseEvent], _ db: Database, now: Int64, caller: Caller,
        tallies: Tallies
    ) throws -> [CaseEvent] {
        let added = try checked(items, for: citizen, after: history, now: now)
        try Store.appendEvents(db, citizen: citizen.id, added, at: now, by: caller.name, tallies: tallies)
        return added
    }

    /// New events checked against the history, each after the ones before it, and numbered after it.
    func checked(_ items: [NewEvent], for citizen: Citizen, after history: [CaseEvent], now: Int64) throws(DomainError) -> [CaseEvent] {
        let today = today(now)
        var all = history
        var added: [CaseEvent] = []
        added.reserveCapacity(items.count)
        for item in items {
            let event = CaseEvent(sequence: Store.nextSequence(after: all), kind: item.kind, date: item.date, offer: item.offer)
            try CaseHistory.check(event, citizen: citizen, events: all, today: today)
            all.append(event)
            added.append(event)
        }
        return added
    }

    /// Checks a new citizen's details against the organisation and the calendar.
    func check(_ citizen: Citizen, now: Int64) throws(DomainError) {
        guard directory.knows(caseworker: citizen.caseworker) else {
            throw .invalid(
                "unknown caseworker '\(citizen.caseworker)'; caseworkers are listed under [caseworkers] in the configuration")
        }
        if let visitation = citizen.visitation, visitation < citizen.takeover {
            throw .invalid("visitation \(visitation) is before the takeover \(citizen.takeover)")
        }
        if citizen.takeover > today(now).adding(days: 366) {
            throw .invalid("takeover \(citizen.takeover) is more than a year ahead")
        }
    }
}
