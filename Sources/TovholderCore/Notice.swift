/// One notification to one recipient through one channel: the unit of delivery, written to the outbox
/// in the transaction that records the firing. The spool channel writes exactly this object per line.
public struct Notice: Sendable, Hashable, Codable {
    /// Unique per (deadline, stage, recipient, channel): a consumer that sees it twice can drop the copy.
    public var key: String
    public var citizen: String
    public var rule: String
    public var title: String
    public var instance: String
    public var stage: String
    public var stageKind: Stage.Kind
    public var due: LocalDate
    public var status: DeadlineStatus
    public var recipient: String
    public var role: Role
    public var channel: String
    /// When the stage fired (ISO 8601, UTC).
    public var firedAt: String

    public init(
        citizen: String, rule: String, title: String, instance: String, stage: String, stageKind: Stage.Kind,
        due: LocalDate, status: DeadlineStatus, recipient: String, role: Role, channel: String, firedAt: String
    ) {
        self.key = Notice.key(
            citizen: citizen, rule: rule, instance: instance, stage: stage, recipient: recipient, channel: channel)
        self.citizen = citizen
        self.rule = rule
        self.title = title
        self.instance = instance
        self.stage = stage
        self.stageKind = stageKind
        self.due = due
        self.status = status
        self.recipient = recipient
        self.role = role
        self.channel = channel
        self.firedAt = firedAt
    }

    public static func key(
        citizen: String, rule: String, instance: String, stage: String, recipient: String, channel: String
    ) -> String {
        "\(citizen)/\(rule)#\(instance)/\(stage)/\(recipient)/\(channel)"
    }

    /// A one-line human summary without personal data beyond the case-system id.
    public var summary: String {
        let what: String
        switch stageKind {
        case .reminder: what = "due \(due)"
        case .due: what = "due today (\(due))"
        case .escalation: what = "overdue since \(due.adding(days: 1))"
        }
        return "\(rule) for citizen \(citizen): \(title) — \(what) [\(stage) → \(recipient)]"
    }
}
