/// Matches an event by kind and, for offers, optionally by offer kind. Written `offer-started:praktik`.
public struct EventMatcher: Hashable, Sendable, CustomStringConvertible {
    public var kind: EventKind
    public var offer: OfferKind?

    public init(_ kind: EventKind, offer: OfferKind? = nil) {
        self.kind = kind
        self.offer = offer
    }

    public init(parsing text: String) throws(DomainError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let kind = try EventKind.parse(parts[0])
        var offer: OfferKind?
        if parts.count == 2 {
            guard kind.needsOffer, let parsed = OfferKind(rawValue: parts[1]) else {
                throw .invalid("'\(text)' is not an event matcher: only offer events take ':praktik' or ':loentilskud'")
            }
            offer = parsed
        }
        self.init(kind, offer: offer)
    }

    public func matches(_ event: CaseEvent) -> Bool {
        event.kind == kind && (offer == nil || event.offer == offer)
    }

    public var description: String { offer.map { "\(kind.rawValue):\($0.rawValue)" } ?? kind.rawValue }
}

/// What starts a rule's clock.
public enum Trigger: Hashable, Sendable, CustomStringConvertible {
    /// The citizen's takeover date.
    case takeover
    /// The citizen's visitation date, when it is known.
    case visitation
    /// Every matching event starts its own deadline.
    case event(EventMatcher)

    public init(parsing text: String) throws(DomainError) {
        switch text {
        case "takeover": self = .takeover
        case "visitation": self = .visitation
        default: self = .event(try EventMatcher(parsing: text))
        }
    }

    public var description: String {
        switch self {
        case .takeover: "takeover"
        case .visitation: "visitation"
        case .event(let matcher): matcher.description
        }
    }
}

/// Who a stage goes to; resolved to a person late, when the stage fires.
public enum Role: String, Sendable, Hashable, CaseIterable, Codable {
    case caseworker
    case teamLead = "team-lead"
    case manager
}

/// A reminder before the due date, the due day itself, or an escalation after it.
public struct Stage: Hashable, Sendable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case reminder, due, escalation
    }

    /// Unique within the rule, e.g. `remind-7d`; part of the idempotency key.
    public var name: String
    /// Days relative to the due date: negative before, 0 on the day, positive after.
    public var offsetDays: Int
    public var to: Role
    /// Channel names to use; nil means every enabled channel.
    public var channels: [String]?

    public var kind: Kind { offsetDays < 0 ? .reminder : offsetDays == 0 ? .due : .escalation }

    public init(name: String, offsetDays: Int, to: Role, channels: [String]? = nil) {
        self.name = name
        self.offsetDays = offsetDays
        self.to = to
        self.channels = channels
    }
}

/// One legal or local rule, as data. A rule id may have several versions with different `effectiveFrom`;
/// a deadline is judged by the version in force on its trigger date.
public struct Rule: Hashable, Sendable {
    public var id: String
    public var title: String
    public var effectiveFrom: LocalDate?
    public var triggers: [Trigger]
    public var due: CalendarOffset
    public var satisfiedBy: [EventMatcher]
    /// How many satisfying events meet the deadline (4 for the follow-up conversations).
    public var count: Int
    public var waivedBy: [EventMatcher]
    public var suspendable: Bool
    /// Tracks the rule applies to; empty means all.
    public var tracks: Set<Track>
    /// Move a due date that falls on a closed day to the next working day.
    public var rollToWorkingDay: Bool
    /// Sorted by offset.
    public var stages: [Stage]
    public var active: Bool

    public init(
        id: String, title: String, effectiveFrom: LocalDate? = nil, triggers: [Trigger], due: CalendarOffset,
        satisfiedBy: [EventMatcher], count: Int = 1, waivedBy: [EventMatcher] = Rule.defaultWaivers,
        suspendable: Bool = true, tracks: Set<Track> = [], rollToWorkingDay: Bool = false, stages: [Stage] = [],
        active: Bool = true
    ) {
        self.id = id
        self.title = title
        self.effectiveFrom = effectiveFrom
        self.triggers = triggers
        self.due = due
        self.satisfiedBy = satisfiedBy
        self.count = count
        self.waivedBy = waivedBy
        self.suspendable = suspendable
        self.tracks = tracks
        self.rollToWorkingDay = rollToWorkingDay
        self.stages = stages.sorted { $0.offsetDays < $1.offsetDays }
        self.active = active
    }

    /// A deadline no longer applies once the citizen has moved away or the programme has ended.
    public static let defaultWaivers: [EventMatcher] = [EventMatcher(.movedAway), EventMatcher(.programmeEnded)]
}
