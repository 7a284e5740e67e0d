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

extension Notice {
    /// What the outbox stores as a notice's payload: everything but what the outbox's own columns hold
    /// (key, citizen, rule, stage, recipient, channel). Rows queued before the payload was cut down hold
    /// the whole notice; its extra fields are the columns' values, so they read back the same.
    public struct Details: Sendable, Hashable, Codable {
        public var title: String
        public var instance: String
        public var stageKind: Stage.Kind
        public var due: LocalDate
        public var status: DeadlineStatus
        public var role: Role
        public var firedAt: String
    }

    public var details: Details {
        Details(title: title, instance: instance, stageKind: stageKind, due: due, status: status, role: role, firedAt: firedAt)
    }

    /// A notice from the outbox's columns and its stored details.
    public init(key: String, citizen: String, rule: String, stage: String, recipient: String, channel: String, details: Details) {
        self.init(
            citizen: citizen, rule: rule, title: details.title, instance: details.instance, stage: stage,
            stageKind: details.stageKind, due: details.due, status: details.status, recipient: recipient, role: details.role,
            channel: channel, firedAt: details.firedAt)
        self.key = key
    }

    /// Every field of a notice, as JSON names it.
    static let fieldNames: Set<String> = [
        "key", "citizen", "rule", "title", "instance", "stage", "stageKind", "due", "status", "recipient", "role", "channel", "firedAt",
    ]

    /// One JSON object of plain strings, as `JSONWriter` writes it, or nil for anything else (which
    /// `JSONDecoder` then reads): the outbox reads back thousands of notices per delivery batch, and
    /// `JSONDecoder` was the largest part of the dispatcher's work. Only a notice's own field names.
    static func plainFields(_ bytes: UnsafeRawBufferPointer) -> [String: String]? {
        var reader = PlainJSONReader(bytes: bytes)
        var fields: [String: String] = [:]
        guard reader.object({ key, reader in
            guard fieldNames.contains(key), reader.peek == UInt8(ascii: "\""), let value = reader.plainString(unicode: true) else {
                return false
            }
            return fields.updateValue(value, forKey: key) == nil
        }) else { return nil }
        reader.skipSpace()
        return reader.atEnd ? fields : nil
    }
}

extension Notice.Details {
    /// Reads a stored payload (the details, or a whole notice as older rows hold it) as `JSONWriter`
    /// wrote it, or gives nil for anything else.
    public init?(plainJSON bytes: UnsafeRawBufferPointer) {
        guard let fields = Notice.plainFields(bytes) else { return nil }
        self.init(fields)
    }

    init?(_ fields: [String: String]) {
        guard let title = fields["title"], let instance = fields["instance"],
            let stageKind = fields["stageKind"].flatMap(Stage.Kind.init(rawValue:)), let due = fields["due"].flatMap(LocalDate.init),
            let status = fields["status"].flatMap(DeadlineStatus.init(rawValue:)), let role = fields["role"].flatMap(Role.init(rawValue:)),
            let firedAt = fields["firedAt"]
        else { return nil }
        self.init(title: title, instance: instance, stageKind: stageKind, due: due, status: status, role: role, firedAt: firedAt)
    }
}
