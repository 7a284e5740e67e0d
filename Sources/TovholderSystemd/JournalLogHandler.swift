import Logging

/// A swift-log handler that writes structured journal entries: the message as MESSAGE, the level as
/// PRIORITY, and each metadata key as a TOVHOLDER_* field (`citizen.id` → TOVHOLDER_CITIZEN_ID).
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String

    public init(label: String) { self.label = label }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(String, String)] = [
            ("MESSAGE", event.message.description), ("PRIORITY", String(Self.priority(event.level))),
            ("SYSLOG_IDENTIFIER", "tovholderd"), ("TOVHOLDER_COMPONENT", label),
            ("CODE_FILE", event.file), ("CODE_LINE", String(event.line)), ("CODE_FUNC", event.function),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields.append((Systemd.fieldName(key), value.description))
        }
        Systemd.journalSend(fields)
    }

    /// syslog priorities.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
