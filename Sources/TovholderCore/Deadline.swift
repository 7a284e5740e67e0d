/// The stored state of a derived deadline: time-independent, so derivation is a pure function of
/// (citizen, events, rulebook, calendar). Whether an open deadline is *overdue* depends on today and is
/// computed when it is shown (`status(today:)`).
public enum DeadlineState: String, Sendable, Hashable, Codable {
    case open, met, waived, suspended
}

/// The status a person sees.
public enum DeadlineStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending, met, metLate = "met-late", overdue, waived, suspended
}

/// One deadline of one citizen under one rule, started by one trigger.
public struct Deadline: Sendable, Hashable {
    public var citizen: CitizenID
    public var rule: String
    /// Which trigger started it: `takeover`, `visitation`, or `e<sequence>` of the triggering event.
    /// Stable when earlier events are back-filled.
    public var instance: String
    /// The effective date of the rule version used, if the rule is versioned.
    public var ruleVersion: LocalDate?
    public var triggerDate: LocalDate
    /// The due date after suspensions (and working-day rolling where the rule asks for it).
    public var due: LocalDate
    public var state: DeadlineState
    /// The date it was met or waived.
    public var closedOn: LocalDate?
    /// Satisfying events so far, and how many are required.
    public var progress: Int
    public var required: Int
    /// Days the due date was moved by pauses.
    public var suspendedDays: Int

    public init(
        citizen: CitizenID, rule: String, instance: String, ruleVersion: LocalDate?, triggerDate: LocalDate,
        due: LocalDate, state: DeadlineState, closedOn: LocalDate?, progress: Int, required: Int, suspendedDays: Int
    ) {
        self.citizen = citizen
        self.rule = rule
        self.instance = instance
        self.ruleVersion = ruleVersion
        self.triggerDate = triggerDate
        self.due = due
        self.state = state
        self.closedOn = closedOn
        self.progress = progress
        self.required = required
        self.suspendedDays = suspendedDays
    }

    /// Identifies the deadline within the citizen's case, as text (`rule#instance`).
    public var key: String { "\(rule)#\(instance)" }

    /// Whether `other` is the same deadline of the same citizen (its rule and instance, as `key` says),
    /// without building a string. Among the dozen deadlines of one citizen, comparing each costs less
    /// than hashing both strings into a set or a dictionary (which was most of the writer's time spent
    /// on a citizen's deadlines under ingestion).
    public func isSame(as other: Deadline) -> Bool { instance == other.instance && rule == other.rule }

    /// The status on `today`. A deadline covers its whole due day: it is overdue from the day after.
    public func status(today: LocalDate) -> DeadlineStatus {
        switch state {
        case .open: return today > due ? .overdue : .pending
        case .met: return (closedOn ?? due) > due ? .metLate : .met
        case .waived: return .waived
        case .suspended: return .suspended
        }
    }

    /// The date shown as `metOn`: set only when met.
    public var metOn: LocalDate? { state == .met ? closedOn : nil }
}
