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
    /// `firingAt`: a timer already due at this instant fires here, in this transaction, instead of being
    /// armed for the scheduler to find, read back and move again (an imported five-year history arms about
    /// two such timers per citizen); what it queued is counted in `tallies.caughtUp` (without `tallies`,
    /// the outbox counter is written at once and the firings are not counted).
    @discardableResult
    public func rederive(
        _ db: Database, citizen: Citizen, events: [CaseEvent]? = nil, fresh: Bool = false, firingAt now: Int64? = nil,
        tallies: Tallies? = nil
    ) throws -> (
        deadlines: [StoredDeadline], earliest: Int64?
    ) {
        let history = try events ?? Store.events(db, citizen: citizen.id)
        let existing = fresh ? [] : try Store.deadlines(db, citizen: citizen.id, sorted: false)
        let derived = derive(citizen, events: history, existing: existing, firingAt: now)
        try store(derived, citizen: citizen.id, existing: existing, db, tallies: tallies)
        return (derived.deadlines, derived.earliest)
    }

    /// A citizen's deadlines as their history gives them, with their timers, and what firing those already
    /// due did: worked out in memory, for `store` to write.
    public struct Derived: Sendable {
        public var deadlines: [StoredDeadline]
        /// The earliest timer armed.
        public var earliest: Int64?
        /// The instant at which timers already due were fired (`firingAt`); nil when they were left armed.
        public var firedAt: Int64?
        /// How many fired.
        public var fired = 0
        /// The notices of the stages those firings sent, for the outbox.
        public var notices: [Notice] = []
    }

    /// Derives the citizen's deadlines from `events`; each keeps the stages `existing` (what is stored)
    /// says it sent. With `firingAt`, a timer already due at that instant fires (see `rederive`). Reads and
    /// writes nothing, so an import works it out before the writer takes its batch.
    public func derive(_ citizen: Citizen, events: [CaseEvent], existing: [StoredDeadline], firingAt now: Int64?) -> Derived {
        let derived = Derivation.deadlines(
            for: citizen, events: events, rulebook: rulebook, calendar: plan.calendar)
        var result = Derived(deadlines: [], firedAt: now)
        result.deadlines.reserveCapacity(derived.count)
        var firing: Firing?
        for deadline in derived {
            var lastStage = existing.first { $0.deadline.isSame(as: deadline) }?.lastStage ?? -1
            var next: Int64?
            if let (rule, fireTimes) = stages(of: deadline) {
                next = StagePlan.nextTimer(fireTimes: fireTimes, lastSent: lastStage, state: deadline.state)?.fireAt
                if let now, let at = next, at <= now {
                    if firing == nil { firing = Firing(workflow: self, now: now) }
                    (lastStage, next) = firing!.fire(
                        deadline, rule: rule, fireTimes: fireTimes, lastStage: lastStage, caseworker: citizen.caseworker)
                }
            }
            if let at = next { result.earliest = min(result.earliest ?? at, at) }
            result.deadlines.append(StoredDeadline(deadline: deadline, lastStage: lastStage, nextFireAt: next))
        }
        if let firing {
            result.fired = firing.fired
            result.notices = firing.notices
        }
        return result
    }

    /// Writes what `derive` worked out: the notices in the outbox, counted in `tallies.caughtUp` (without
    /// `tallies` the outbox counter is written at once and the firings are not counted), and the deadlines
    /// in place of `existing`.
    public func store(
        _ derived: Derived, citizen: CitizenID, existing: [StoredDeadline], _ db: Database, tallies: Tallies?
    ) throws {
        if let at = derived.firedAt, derived.fired > 0 {
            let counts = tallies ?? Tallies()
            let queued = try Store.enqueue(db, derived.notices, at: at, tallies: counts)
            counts.caughtUp.fired += derived.fired
            counts.caughtUp.queued += queued
            if tallies == nil { try counts.flush(db) }
        }
        try Store.replaceDeadlines(db, citizen: citizen, with: derived.deadlines, existing: existing, tallies: tallies)
    }

    /// Firings at one instant, in one transaction: sends the stage a due timer has reached.
    struct Firing {
        let workflow: Workflow
        let now: Int64
        let today: LocalDate
        let firedAt: String
        var fired = 0
        var queued = 0
        /// Notices of the stages sent, for `queue` to put in the outbox together.
        var notices: [Notice] = []

        init(workflow: Workflow, now: Int64) {
            self.workflow = workflow
            self.now = now
            self.today = workflow.today(now)
            self.firedAt = now.iso8601
        }

        /// Sends the latest stage of `deadline` whose time has come (catch-up after downtime, or a deadline
        /// derived already due, sends that one only): its notices go in the outbox, in the current
        /// transaction, at the next `queue`. Returns the stage now last sent and when the next one fires.
        mutating func fire(
            _ deadline: Deadline, rule: Rule, fireTimes: [Int64], lastStage: Int, caseworker: String
        ) -> (lastStage: Int, nextFireAt: Int64?) {
            fired += 1
            let firing = StagePlan.fire(fireTimes: fireTimes, lastSent: lastStage, now: now)
            if let index = firing.send {
                let stage = rule.stages[index]
                let (recipient, role) = workflow.directory.resolve(stage.to, caseworker: caseworker)
                for channel in stage.channels ?? workflow.channels {
                    notices.append(Notice(
                        citizen: deadline.citizen.rawValue, rule: rule.id, title: rule.title,
                        instance: deadline.instance, stage: stage.name, stageKind: stage.kind, due: deadline.due,
                        status: deadline.status(today: today), recipient: recipient, role: role, channel: channel,
                        firedAt: firedAt))
                }
            }
            return (firing.send ?? lastStage, firing.next?.fireAt)
        }

        /// Puts the notices sent so far in the outbox, several in each statement, and counts those queued
        /// (a key queued before, by a firing repeated after a crash, is skipped); the outbox counter goes to
        /// `tallies`, to be written once per batch, not once per notice.
        mutating func queue(_ db: Database, tallies: Tallies) throws {
            queued += try Store.enqueue(db, notices, at: now, tallies: tallies)
            notices.removeAll(keepingCapacity: true)
        }
    }

    /// The rule and stage times of a deadline that can hold a timer. A closed deadline holds none: no need
    /// to work out its stages' days.
    func stages(of deadline: Deadline) -> (rule: Rule, fireTimes: [Int64])? {
        guard deadline.state == .open, let rule = rule(for: deadline) else { return nil }
        return (rule, plan.fireTimes(of: rule, due: deadline.due))
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
        /// A first load was under way: how long building its indexes took before the timers were read.
        public var indexBuild: Duration?
    }

    /// Fires up to `limit` due timers: each sends at most its latest due stage (catch-up after downtime
    /// sends that one only), queued in the outbox in this same transaction, then arms its next stage.
    public func fireDue(_ db: Database, now: Int64, limit: Int) throws -> FireReport {
        var report = FireReport()
        // Due timers are found through their index, which a first load leaves out until it ends: a timer
        // coming due ends it (a walk of a loaded table for every batch of a burst would cost far more).
        report.indexBuild = try Store.endFirstLoad(db)
        let due = try Store.dueTimers(db, now: now, limit: limit)
        report.more = due.count == limit
        var firing = Firing(workflow: self, now: now)
        let tallies = Tallies()
        // The notices and the timers are written after the loop, several rows per statement.
        var timers: [Store.TimerSetting] = []
        timers.reserveCapacity(due.count)
        for (stored, caseworker) in due {
            let deadline = stored.deadline
            report.fired += 1
            if let at = stored.nextFireAt { report.fireTimes.append(at) }
            guard let rule = rule(for: deadline) else {
                timers.append(.init(deadline, lastStage: stored.lastStage, nextFireAt: nil))
                continue
            }
            let (lastStage, next) = firing.fire(
                deadline, rule: rule, fireTimes: plan.fireTimes(of: rule, due: deadline.due),
                lastStage: stored.lastStage, caseworker: caseworker)
            timers.append(.init(deadline, lastStage: lastStage, nextFireAt: next))
        }
        try firing.queue(db, tallies: tallies)
        try Store.setTimers(db, timers)
        report.queued = firing.queued
        try tallies.flush(db)
        return report
    }
}
