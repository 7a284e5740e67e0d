import Foundation
import TovholderCore

/// Everything `tovholderd` is configured with. Built from defaults, then the TOML file, then command-line
/// overrides. The keys are documented in the README ("Configuration") and in config/tovholder.toml.
public struct DaemonConfiguration: Sendable {
    public var stateDirectory: String
    public var socketPath: String
    public var rulebookPath: String
    public var timeZone: String = "Europe/Copenhagen"
    /// Local hour at which stages are delivered.
    public var sendHour: Int = 8
    public var logLevel: String = "info"
    /// `full` (every acknowledged write survives power loss) or `normal` (survives a process crash).
    public var synchronous: String = "full"
    public var closedDays: Set<DanishCalendar.MonthDay> = DanishCalendar.commonClosedDays
    public var directory = Directory()
    public var journal = JournalSettings()
    public var spool = SpoolSettings()
    public var delivery = DeliverySettings()
    /// Largest request line the control socket accepts, in bytes.
    public var maxRequestBytes: Int = 1 << 20

    public struct JournalSettings: Sendable {
        public var enabled = true
    }

    public struct SpoolSettings: Sendable {
        public var enabled = true
        /// Relative paths are under the state directory.
        public var path = "notifications.jsonl"
    }

    public struct DeliverySettings: Sendable {
        public var maxAttempts = 8
        public var retrySeconds = 30
    }

    /// Defaults for a system install, following systemd's `StateDirectory=` and `RuntimeDirectory=`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        stateDirectory = environment["STATE_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? "/var/lib/tovholder"
        let runtime = environment["RUNTIME_DIRECTORY"].flatMap { $0.split(separator: ":").first.map(String.init) }
            ?? "/run/tovholder"
        socketPath = runtime + "/control.sock"
        rulebookPath = "/etc/tovholder/rulebook.toml"
    }

    /// The enabled channel names.
    public var channelNames: [String] {
        (journal.enabled ? ["journal"] : []) + (spool.enabled ? ["spool"] : [])
    }

    public var spoolPath: String { spool.path.hasPrefix("/") ? spool.path : stateDirectory + "/" + spool.path }

    public var calendar: DanishCalendar { DanishCalendar(closedDays: closedDays) }

    public var localTime: LocalTime {
        TimeZone(identifier: timeZone).map(LocalTime.init(zone:)) ?? .copenhagen
    }
}
