import Foundation
import GRDB
import TovholderCore
import TovholderStore

/// The per-citizen workflow, applied inside a store transaction: events in, deadlines and timers out, and
/// firings that turn due timers into queued notices. Holds only immutable configuration, so it is shared
/// freely; serialisation per citizen comes from the store's single writer.
public struct Workflow: Sendable {
    public let rulebook: Rulebook
    public let plan: StagePlan
    public let directory: Directory
    /// Channels that get a stage whose `channels` is not set.
    public let channels: [String]

    public init(rulebook: Rulebook, plan: StagePlan, directory: Directory, channels: [String]) {
        self.rulebook = rulebook
        self.plan = plan
        self.directory = directory
        self.channels = channels
    }

    /// What derivation depends on besides the events: when it changes, stored deadlines are derived again.
    public var fingerprint: String {
        let closed = plan.calendar.closedDays.map { "\($0.month)-\($0.day)" }.sorted().joined(separator: ",")
        return "\(rulebook.fingerprint)/\(closed)/\(plan.sendHour)/\(plan.time.zone.identifier)"
    }

    public func today(_ now: Int64) -> LocalDate { plan.time.date(atMillis: now) }

    // MARK: Deriving

    /// Derives the citizen's deadlines again and stores them with their timers. A deadline keeps the stages
    /// it already sent. Returns the stored deadlines and the earliest armed timer.
    /// `fresh`: the citizen was just added, so there is nothing stored to compare with.
    @discardableResult
    public func rederive(
        _ db: Database, citizen: Citizen, events: [CaseEvent]? = nil, fresh: Bool = false, tallies: Tallies? = nil
    ) throws -> (
        deadlines: [StoredDeadline], earliest: Int64?
    ) {
        let history = try events ?? Store.events(db, citizen: citizen.id)
        let existing = fresh ? [] : try Store.deadlines(db, citizen: citizen.id)
        let old = Dictionary(existing.map { ($0.deadline.identity, $0.lastStage) }, uniquingKeysWith: { first, _ in first })
        let derived = Derivation.deadlines(
            for: citizen, events: history, rulebook: rulebook, calendar: plan.calendar)
        var earliest: Int64?
        let stored = derived.map { deadline -> StoredDeadline in
            let lastStage = old[deadline.identity] ?? -1
            let next = timer(for: deadline, lastStage: lastStage)
            if let at = next?.fireAt { earliest = min(earliest ?? at, at) }
            return StoredDeadline(deadline: deadline, lastStage: lastStage, nextFireAt: next?.fireAt)
        }
        try Store.replaceDeadlines(db, citizen: citizen.id, with: stored, existing: existing, tallies: tallies)
        return (stored, earliest)
    }

    func timer(for deadline: Deadline, lastStage: Int) -> StagePlan.Timer? {
        // A closed deadline holds no timer: no need to work out its stages' days.
        guard deadline.state == .open, let rule = rule(for: deadline) else { return nil }
        return StagePlan.nextTimer(
            fireTimes: plan.fireTimes(of: rule, due: deadline.due), lastSent: lastStage, state: deadline.state)
    }

    func rule(for deadline: Deadline) -> Rule? { rulebook.rule(deadline.rule, inForceOn: deadline.triggerDate) }

    // MARK: Firing

    public struct FireReport: Sendable {
        public var fired = 0
        public var queued = 0
        /// The instant each fired timer was due.
        public var fireTimes: [Int64] = []
        /// True when the batch was full: more may be due.
        public var more = false
    }

    /// Fires up to `limit` due timers: each sends at most its latest due stage (catch-up after downtime
    /// sends that one only), queued in the outbox in this same transaction, then arms its next stage.
    public func fireDue(_ db: Database, now: Int64, limit: Int) throws -> FireReport {
        var report = FireReport()
        let due = try Store.dueTimers(db, now: now, limit: limit)
        report.more = due.count == limit
        let today = today(now)
        let firedAt = now.iso8601
        // The outbox counter is written once per batch, not once per notice.
        let tallies = Tallies()
        for (stored, caseworker) in due {
            let deadline = stored.deadline
            report.fired += 1
            if let at = stored.nextFireAt { report.fireTimes.append(at) }
            guard let rule = rule(for: deadline) else {
                try Store.setTimer(db, deadline, lastStage: stored.lastStage, nextFireAt: nil)
                continue
            }
            let firing = StagePlan.fire(
                fireTimes: plan.fireTimes(of: rule, due: deadline.due), lastSent: stored.lastStage, now: now)
            if let index = firing.send {
                let stage = rule.stages[index]
                let (recipient, role) = directory.resolve(stage.to, caseworker: caseworker)
                for channel in stage.channels ?? channels {
                    let notice = Notice(
                        citizen: deadline.citizen.rawValue, rule: rule.id, title: rule.title,
                        instance: deadline.instance, stage: stage.name, stageKind: stage.kind, due: deadline.due,
                        status: deadline.status(today: today), recipient: recipient, role: role, channel: channel,
                        firedAt: firedAt)
                    if try Store.enqueue(db, notice, at: now, tallies: tallies) { report.queued += 1 }
                }
            }
            try Store.setTimer(db, deadline, lastStage: firing.send ?? stored.lastStage, nextFireAt: firing.next?.fireAt)
        }
        try tallies.flush(db)
        return report
    }
}
