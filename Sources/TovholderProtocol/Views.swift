import TovholderCore

public struct StatusView: Codable, Sendable {
    public var version: String
    public var startedAt: String
    public var uptimeSeconds: Int
    public var citizens: Int
    public var events: Int
    /// Deadlines by status: pending, met, met-late, overdue, waived, suspended.
    public var deadlines: [String: Int]
    /// When the next timer fires (ISO 8601), if any is armed.
    public var nextFiring: String?
    /// Outbox entries by state: pending, delivered, failed.
    public var outbox: [String: Int]
    public var rulebook: String
    public var today: LocalDate
    public var timers: TimersView?
    public var writes: WritesView?

    public init(
        version: String, startedAt: String, uptimeSeconds: Int, citizens: Int, events: Int, deadlines: [String: Int],
        nextFiring: String?, outbox: [String: Int], rulebook: String, today: LocalDate, timers: TimersView? = nil,
        writes: WritesView? = nil
    ) {
        self.timers = timers
        self.writes = writes
        self.version = version
        self.startedAt = startedAt
        self.uptimeSeconds = uptimeSeconds
        self.citizens = citizens
        self.events = events
        self.deadlines = deadlines
        self.nextFiring = nextFiring
        self.outbox = outbox
        self.rulebook = rulebook
        self.today = today
    }
}

public struct EventView: Codable, Sendable {
    public var seq: Int64
    public var kind: EventKind
    public var date: LocalDate
    public var offer: OfferKind?
    public init(seq: Int64, kind: EventKind, date: LocalDate, offer: OfferKind?) {
        self.seq = seq
        self.kind = kind
        self.date = date
        self.offer = offer
    }
}

public struct DeadlineView: Codable, Sendable {
    public var citizen: String
    public var rule: String
    public var title: String
    /// Which trigger started it: `takeover`, `visitation`, or `e<seq>` of the triggering event.
    public var instance: String
    public var trigger: LocalDate
    public var due: LocalDate
    public var status: DeadlineStatus
    public var metOn: LocalDate?
    /// The date it was met or waived.
    public var closedOn: LocalDate?
    public var progress: Int
    public var required: Int
    public var suspendedDays: Int
    /// The next stage to fire and when (ISO 8601), while the deadline is open.
    public var nextStage: String?
    public var nextFiring: String?

    public init(
        citizen: String, rule: String, title: String, instance: String, trigger: LocalDate, due: LocalDate,
        status: DeadlineStatus, metOn: LocalDate?, closedOn: LocalDate?, progress: Int, required: Int,
        suspendedDays: Int, nextStage: String?, nextFiring: String?
    ) {
        self.citizen = citizen
        self.rule = rule
        self.title = title
        self.instance = instance
        self.trigger = trigger
        self.due = due
        self.status = status
        self.metOn = metOn
        self.closedOn = closedOn
        self.progress = progress
        self.required = required
        self.suspendedDays = suspendedDays
        self.nextStage = nextStage
        self.nextFiring = nextFiring
    }
}

public struct CitizenView: Codable, Sendable {
    public var id: String
    public var caseworker: String
    public var takeover: LocalDate
    public var visitation: LocalDate?
    public var track: Track?
    public var household: String?
    /// Present in `citizen.show` and `citizen.add` / `event.record` results.
    public var events: [EventView]?
    public var deadlines: [DeadlineView]?

    public init(
        id: String, caseworker: String, takeover: LocalDate, visitation: LocalDate?, track: Track?,
        household: String?, events: [EventView]?, deadlines: [DeadlineView]?
    ) {
        self.id = id
        self.caseworker = caseworker
        self.takeover = takeover
        self.visitation = visitation
        self.track = track
        self.household = household
        self.events = events
        self.deadlines = deadlines
    }
}

public struct CitizenListView: Codable, Sendable {
    public var citizens: [CitizenView]
    /// Pass as `after` to get the next page; absent on the last page.
    public var next: String?
    public init(citizens: [CitizenView], next: String?) {
        self.citizens = citizens
        self.next = next
    }
}

public struct DeadlineListView: Codable, Sendable {
    public var deadlines: [DeadlineView]
    public init(deadlines: [DeadlineView]) { self.deadlines = deadlines }
}

public struct NotificationView: Codable, Sendable {
    public var id: Int64
    public var key: String
    public var citizen: String
    public var rule: String
    public var stage: String
    public var stageKind: Stage.Kind
    public var due: LocalDate
    public var recipient: String
    public var role: Role
    public var channel: String
    /// pending, delivered or failed.
    public var state: String
    public var attempts: Int
    public var createdAt: String
    public var deliveredAt: String?
    public var nextAttemptAt: String?
    public var lastError: String?

    public init(
        id: Int64, key: String, citizen: String, rule: String, stage: String, stageKind: Stage.Kind, due: LocalDate,
        recipient: String, role: Role, channel: String, state: String, attempts: Int, createdAt: String,
        deliveredAt: String?, nextAttemptAt: String?, lastError: String?
    ) {
        self.id = id
        self.key = key
        self.citizen = citizen
        self.rule = rule
        self.stage = stage
        self.stageKind = stageKind
        self.due = due
        self.recipient = recipient
        self.role = role
        self.channel = channel
        self.state = state
        self.attempts = attempts
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
    }
}

public struct NotificationListView: Codable, Sendable {
    public var notifications: [NotificationView]
    public init(notifications: [NotificationView]) { self.notifications = notifications }
}

public struct AuditView: Codable, Sendable {
    public var at: String
    public var caller: String
    public var uid: Int?
    public var pid: Int?
    public var action: String
    public var citizen: String?
    public var outcome: String
    public init(at: String, caller: String, uid: Int?, pid: Int?, action: String, citizen: String?, outcome: String) {
        self.at = at
        self.caller = caller
        self.uid = uid
        self.pid = pid
        self.action = action
        self.citizen = citizen
        self.outcome = outcome
    }
}

public struct AuditListView: Codable, Sendable {
    public var entries: [AuditView]
    public init(entries: [AuditView]) { self.entries = entries }
}

/// What an import batch did. When `applied` is false nothing of the batch was stored, and `problems`
/// says why, by the index of the citizen in the batch.
public struct ImportResultView: Codable, Sendable {
    public struct Problem: Codable, Sendable {
        public var index: Int
        public var message: String
        public init(index: Int, message: String) {
            self.index = index
            self.message = message
        }
    }

    public var applied: Bool
    public var added: Int
    public var unchanged: Int
    public var eventsAdded: Int
    public var problems: [Problem]

    public init(applied: Bool, added: Int, unchanged: Int, eventsAdded: Int, problems: [Problem]) {
        self.applied = applied
        self.added = added
        self.unchanged = unchanged
        self.eventsAdded = eventsAdded
        self.problems = problems
    }
}

/// What `citizen.import.finish` did: when the import was a first load into an empty store, the deadline
/// indexes it left out were built (`indexesBuilt`), taking `seconds`.
public struct ImportFinishView: Codable, Sendable {
    public var indexesBuilt: Bool
    public var seconds: Double

    public init(indexesBuilt: Bool, seconds: Double) {
        self.indexesBuilt = indexesBuilt
        self.seconds = seconds
    }
}

/// The scheduler's work since start: timers fired (and of those, caught up), notices queued, and the
/// lateness of recent firings that were still to come when the scheduler last looked (from the timer's
/// instant until its notices were on disk).
public struct TimersView: Codable, Sendable {
    public var fired: Int
    /// Of `fired`, those already due when the scheduler last looked (after downtime, or armed already
    /// due): caught up at once, not counted in the lateness.
    public var caughtUp: Int?
    public var queued: Int
    public var latenessP50Ms: Int64?
    public var latenessP99Ms: Int64?
    public var latenessMaxMs: Int64?
    public init(
        fired: Int, caughtUp: Int? = nil, queued: Int, latenessP50Ms: Int64?, latenessP99Ms: Int64?, latenessMaxMs: Int64?
    ) {
        self.fired = fired
        self.caughtUp = caughtUp
        self.queued = queued
        self.latenessP50Ms = latenessP50Ms
        self.latenessP99Ms = latenessP99Ms
        self.latenessMaxMs = latenessMaxMs
    }
}

/// The writer's work: transactions committed and changes answered since start, and over the last one to
/// two minutes how long a commit took (COMMIT with its sync of the log: the disk's part) and how long a
/// change waited for its answer (the batch before it, its own batch's work and the commit), in
/// microseconds; a percentile is the upper bound of a bucket at most a tenth wide.
public struct WritesView: Codable, Sendable {
    public var commits: Int
    public var changes: Int
    public var commitP50Us: Int64?
    public var commitP99Us: Int64?
    public var commitMaxUs: Int64?
    public var answerP50Us: Int64?
    public var answerP99Us: Int64?
    public var answerMaxUs: Int64?
    /// Batches applied a second time, each change in a savepoint, because one of their changes was
    /// refused (absent from daemons before 2026-12-04).
    public var redone: Int?
    public init(
        commits: Int, changes: Int, commitP50Us: Int64?, commitP99Us: Int64?, commitMaxUs: Int64?,
        answerP50Us: Int64?, answerP99Us: Int64?, answerMaxUs: Int64?, redone: Int? = nil
    ) {
        self.commits = commits
        self.changes = changes
        self.commitP50Us = commitP50Us
        self.commitP99Us = commitP99Us
        self.commitMaxUs = commitMaxUs
        self.answerP50Us = answerP50Us
        self.answerP99Us = answerP99Us
        self.answerMaxUs = answerMaxUs
        self.redone = redone
    }
}
