import GRDB
import TovholderCore
import TovholderStore

/// One citizen of an import batch: their details and the history known so far.
public struct ImportItem: Sendable {
    public var citizen: Citizen
    public var events: [NewEvent]
    /// The citizen worked out as if new, before the writer takes the batch (see `Workflow.prepared`).
    var prepared: Prepared?

    public init(citizen: Citizen, events: [NewEvent]) {
        self.citizen = citizen
        self.events = events
    }

    /// What storing a new citizen takes, worked out from the item alone: the checks' verdict, or the
    /// numbered events and the derived deadlines with their catch-up firings.
    typealias Prepared = Result<(events: [CaseEvent], derived: Workflow.Derived), DomainError>
}

/// What an import batch did. When `problems` is not empty nothing of the batch was stored.
public struct ImportSummary: Sendable, Hashable {
    /// A refused item: its index in the batch and why.
    public struct Problem: Sendable, Hashable {
        public var index: Int
        public var message: String
    }

    public var added = 0
    /// Citizens already stored with the same details.
    public var unchanged = 0
    /// Events appended (for new and for known citizens).
    public var eventsAdded = 0
    public var problems: [Problem] = []
    public var applied: Bool { problems.isEmpty }
}

/// Thrown inside the batch's savepoint to roll it back, carrying every problem found, and the audit
/// lines that stay although nothing was stored: for a dry run, the citizens it would have stored, and for
/// any refused batch, each stored citizen whose details a problem quotes.
struct ImportRefused: Error {
    var summary: ImportSummary
    var audits: [AuditEntry]
}

extension Workflow {
    /// The items with each citizen worked out as if new (checked, numbered, derived and fired at `now`),
    /// which needs nothing from the store: the importing connection's thread does it while the writer
    /// stores the batches before, and the writer then only writes what a new citizen's preparation gives
    /// (a known citizen, whom the writer finds in the store, is compared and derived there instead).
    /// Derivation and the checks were two fifths of the writer's time during an import.
    public func prepared(_ items: [ImportItem], now: Int64) -> [ImportItem] {
        items.map { item in
            var item = item
            item.prepared = prepare(item, now: now)
            return item
        }
    }

    func prepare(_ item: ImportItem, now: Int64) -> ImportItem.Prepared {
        do throws(DomainError) {
            try check(item.citizen, now: now)
            let events = try checked(item.events, for: item.citizen, after: [], now: now)
            return .success((events, derive(item.citizen, events: events, existing: [], firingAt: now)))
        } catch {
            return .failure(error)
        }
    }

    /// Imports a batch, all or nothing. Re-running the same file changes nothing: a citizen already stored
    /// with the same details is left as it is, and only events not yet recorded for them are added (an
    /// event counts as recorded when one of the same kind, date and offer is stored), so an interrupted
    /// import can simply be run again, and a later export of the same case system adds what is new.
    func importBatch(
        _ items: [ImportItem], dryRun: Bool = false, _ db: Database, now: Int64, caller: Caller, tallies: Tallies
    ) throws -> (CommandResult, Int64?) {
        // Into a store without deadlines, the deadline indexes are built once the load ends (see
        // Store+FirstLoad); a batch refused takes the change back with it.
        if !dryRun { try Store.beginFirstLoadIfEmpty(db) }
        var summary = ImportSummary()
        var earliest: Int64?
        var seen = Set<String>()
        // The audit lines kept if the batch is rolled back (see ImportRefused).
        var kept: [AuditEntry] = []
        for (index, item) in items.enumerated() {
            var quoted = false
            do throws(DomainError) {
                guard seen.insert(item.citizen.id.rawValue).inserted else {
                    throw .invalid("citizen \(item.citizen.id) appears twice in the batch; keep each citizen's rows together")
                }
                let (added, events, timer) = try importOne(item, db, now: now, caller: caller, tallies: tallies, quoted: &quoted)
                if added { summary.added += 1 } else if events == 0 { summary.unchanged += 1 }
                // Each citizen stored is audited (the line is kept only with the batch); a dry run, whose
                // batch is rolled back, audits those it would store.
                if added || events > 0 {
                    if dryRun {
                        kept.append(audit(item.citizen.id, now: now, caller: caller, outcome: "dry-run"))
                    } else {
                        tallies.audits.append(audit(item.citizen.id, now: now, caller: caller))
                    }
                }
                summary.eventsAdded += events
                if let timer { earliest = min(earliest ?? timer, timer) }
            } catch {
                summary.problems.append(.init(index: index, message: error.message))
                if quoted { kept.append(audit(item.citizen.id, now: now, caller: caller, outcome: "invalid")) }
            }
        }
        if !summary.applied || dryRun { throw ImportRefused(summary: summary, audits: kept) }  // rolls the batch back
        return (.imported(summary), earliest)
    }

    /// Returns whether the citizen was added, how many events were appended, and the earliest new timer;
    /// `quoted` is set when the error thrown quotes the citizen's stored details.
    func importOne(
        _ item: ImportItem, _ db: Database, now: Int64, caller: Caller, tallies: Tallies, quoted: inout Bool
    ) throws(DomainError) -> (Bool, Int, Int64?) {
        do {
            let citizen = item.citizen
            if let stored = try Store.citizen(db, citizen.id) {
                guard stored == citizen else {
                    quoted = true
                    throw DomainError.invalid("citizen \(citizen.id) is stored with other details (\(differences(stored, citizen)))")
                }
                let history = try Store.events(db, citizen: citizen.id)
                var known = history.map { NewEvent(kind: $0.kind, date: $0.date, offer: $0.offer) }
                let new = item.events.filter { event in
                    guard let match = known.firstIndex(of: event) else { return true }
                    known.remove(at: match)
                    return false
                }
                guard !new.isEmpty else { return (false, 0, nil) }
                let appended = try append(new, to: citizen, history: history, db, now: now, caller: caller, tallies: tallies)
                let (_, timer) = try rederive(db, citizen: citizen, events: history + appended, firingAt: now, tallies: tallies)
                return (false, appended.count, timer)
            }
            let prepared = item.prepared ?? prepare(item, now: now)
            let (events, derived) = try prepared.get()
            try Store.addCitizen(db, citizen, at: now, tallies: tallies)
            try Store.appendEvents(db, citizen: citizen.id, events, at: now, by: caller.name, tallies: tallies)
            try store(derived, citizen: citizen.id, existing: [], db, tallies: tallies)
            return (true, events.count, derived.earliest)
        } catch let error as DomainError {
            throw error
        } catch {
            throw DomainError.invalid("could not store citizen \(item.citizen.id): \(error)")
        }
    }

    func audit(_ citizen: CitizenID, now: Int64, caller: Caller, outcome: String = "ok") -> AuditEntry {
        AuditEntry(
            at: now, uid: caller.uid, pid: caller.pid, caller: caller.name, action: "citizen.import",
            citizen: citizen.rawValue, outcome: outcome)
    }

    func differences(_ stored: Citizen, _ given: Citizen) -> String {
        var parts: [String] = []
        if stored.caseworker != given.caseworker { parts.append("caseworker \(stored.caseworker), file \(given.caseworker)") }
        if stored.takeover != given.takeover { parts.append("takeover \(stored.takeover), file \(given.takeover)") }
        if stored.visitation != given.visitation {
            parts.append("visitation \(stored.visitation?.description ?? "none"), file \(given.visitation?.description ?? "none")")
        }
        if stored.track != given.track { parts.append("track \(stored.track?.rawValue ?? "none"), file \(given.track?.rawValue ?? "none")") }
        if stored.household != given.household { parts.append("household \(stored.household ?? "none"), file \(given.household ?? "none")") }
        return parts.joined(separator: "; ")
    }
}
