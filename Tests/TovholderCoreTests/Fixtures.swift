import TovholderCore

/// Small hand-made rules for derivation tests (the shipped rulebook is tested in TovholderConfigTests).
enum Fixtures {
    static func date(_ text: String) -> LocalDate { LocalDate(text)! }

    static let stages = [
        Stage(name: "remind-7d", offsetDays: -7, to: .caseworker), Stage(name: "due", offsetDays: 0, to: .caseworker),
        Stage(name: "escalate", offsetDays: 1, to: .teamLead), Stage(name: "escalate-2", offsetDays: 14, to: .manager),
    ]

    static let rulebook = Rulebook(name: "test", rules: [
        Rule(id: "contract", title: "Contract", triggers: [.takeover], due: CalendarOffset(1, .month),
             satisfiedBy: [EventMatcher(.contractSigned)], stages: stages),
        Rule(id: "interval", title: "Interval", triggers: [.event(EventMatcher(.offerEnded))], due: CalendarOffset(6, .week),
             satisfiedBy: [EventMatcher(.offerStarted)], stages: stages),
        Rule(id: "talks", title: "Talks", triggers: [.visitation], due: CalendarOffset(6, .month),
             satisfiedBy: [EventMatcher(.conversationHeld)], count: 4, stages: stages),
        Rule(id: "jobready-only", title: "Job-ready", triggers: [.takeover], due: CalendarOffset(2, .week),
             satisfiedBy: [EventMatcher(.contractSigned)], tracks: [.jobReady], stages: stages),
    ])

    static func citizen(takeover: String = "2026-01-31", visitation: String? = nil, track: Track? = nil) -> Citizen {
        Citizen(id: CitizenID(trusted: "C-1"), caseworker: "cw", takeover: date(takeover),
                visitation: visitation.map(date), track: track)
    }

    static func events(_ items: [(EventKind, String, OfferKind?)]) -> [CaseEvent] {
        items.enumerated().map { CaseEvent(sequence: Int64($0.offset + 1), kind: $0.element.0, date: date($0.element.1), offer: $0.element.2) }
    }

    static func derive(_ citizen: Citizen, _ events: [CaseEvent], rulebook: Rulebook = rulebook) -> [String: Deadline] {
        Dictionary(uniqueKeysWithValues: Derivation.deadlines(
            for: citizen, events: events, rulebook: rulebook, calendar: DanishCalendar()).map { ($0.key, $0) })
    }
}
