/// The organisation: caseworkers, their teams, team leads and managers. Resolves a stage's role to a
/// person when the stage fires, so changes in the configuration apply to stages not yet sent.
public struct Directory: Sendable, Hashable {
    public struct Team: Sendable, Hashable {
        public var id: String
        public var lead: PersonID?
        public var manager: PersonID?
        public init(id: String, lead: PersonID?, manager: PersonID?) {
            self.id = id
            self.lead = lead
            self.manager = manager
        }
    }

    /// Caseworker id → team id.
    public var caseworkers: [PersonID: String]
    public var teams: [String: Team]
    /// The manager for teams that name none.
    public var manager: PersonID?

    public init(caseworkers: [PersonID: String] = [:], teams: [String: Team] = [:], manager: PersonID? = nil) {
        self.caseworkers = caseworkers
        self.teams = teams
        self.manager = manager
    }

    public func knows(caseworker: PersonID) -> Bool { caseworkers[caseworker] != nil }

    /// The person a role means for a citizen of `caseworker`. Falls back up the chain (team lead →
    /// manager → caseworker) so that a gap in the organisation never silences an escalation.
    public func resolve(_ role: Role, caseworker: PersonID) -> (person: PersonID, role: Role) {
        let team = caseworkers[caseworker].flatMap { teams[$0] }
        switch role {
        case .caseworker:
            return (caseworker, .caseworker)
        case .teamLead:
            if let lead = team?.lead { return (lead, .teamLead) }
            return resolve(.manager, caseworker: caseworker)
        case .manager:
            if let manager = team?.manager ?? manager { return (manager, .manager) }
            return (caseworker, .caseworker)
        }
    }
}
