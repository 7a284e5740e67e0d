/// What can happen in a citizen's case. The raw values are the names on the CLI and the wire.
public enum EventKind: String, Sendable, Codable, CaseIterable, Hashable {
    case contractSigned = "contract-signed"
    case offerStarted = "offer-started"
    case offerEnded = "offer-ended"
    case danishEducationReferred = "danish-education-referred"
    case healthAssessmentOffered = "health-assessment-offered"
    case conversationHeld = "conversation-held"
    case programmeExtended = "programme-extended"
    case programmeEnded = "programme-ended"
    case movedAway = "moved-away"
    case paused
    case resumed

    /// Whether the event needs `--offer praktik|loentilskud`.
    public var needsOffer: Bool { self == .offerStarted || self == .offerEnded }

    public static func parse(_ raw: String) throws(DomainError) -> EventKind {
        guard let kind = EventKind(rawValue: raw) else {
            throw .invalid(
                "unknown event kind '\(CitizenID.printable(raw))'; known kinds: "
                    + EventKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return kind
    }
}

/// The kind of a company-directed offer.
public enum OfferKind: String, Sendable, Codable, CaseIterable, Hashable {
    /// Virksomhedspraktik, a work placement.
    case praktik
    /// Løntilskud, a wage-subsidised job.
    case loentilskud
}

/// The citizen's track.
public enum Track: String, Sendable, Codable, CaseIterable, Hashable {
    case jobReady = "job-ready"
    case activityReady = "activity-ready"
}

/// One recorded event in a citizen's case. `sequence` orders events recorded on the same date.
public struct CaseEvent: Sendable, Hashable, Codable {
    public var sequence: Int64
    public var kind: EventKind
    public var date: LocalDate
    public var offer: OfferKind?

    public init(sequence: Int64, kind: EventKind, date: LocalDate, offer: OfferKind? = nil) {
        self.sequence = sequence
        self.kind = kind
        self.date = date
        self.offer = offer
    }

    /// Events in case order: by effective date, then by the order they were recorded.
    public static func caseOrder(_ a: CaseEvent, _ b: CaseEvent) -> Bool {
        (a.date, a.sequence) < (b.date, b.sequence)
    }
}

/// A citizen in the integration programme, as the case system knows them.
public struct Citizen: Sendable, Hashable, Codable {
    public var id: CitizenID
    public var caseworker: PersonID
    /// The day the municipality took over integration responsibility; most clocks start here.
    public var takeover: LocalDate
    /// The day visitation was completed; starts the follow-up conversations.
    public var visitation: LocalDate?
    public var track: Track?
    public var household: String?

    public init(
        id: CitizenID, caseworker: PersonID, takeover: LocalDate, visitation: LocalDate? = nil,
        track: Track? = nil, household: String? = nil
    ) {
        self.id = id
        self.caseworker = caseworker
        self.takeover = takeover
        self.visitation = visitation
        self.track = track
        self.household = household
    }
}
