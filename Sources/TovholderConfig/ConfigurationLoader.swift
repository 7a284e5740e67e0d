import Foundation
import TovholderCore

/// Reads `tovholder.toml` and the rulebook it names, and validates both together (a stage naming a
/// channel that is not enabled, a team lead that is not defined, …), reporting every problem at once.
public enum ConfigurationLoader {
    public struct Loaded: Sendable {
        public var configuration: DaemonConfiguration
        public var rulebook: Rulebook
    }

    public struct Overrides: Sendable {
        public var stateDirectory: String?
        public var socketPath: String?
        public var rulebookPath: String?
        public init(stateDirectory: String? = nil, socketPath: String? = nil, rulebookPath: String? = nil) {
            self.stateDirectory = stateDirectory
            self.socketPath = socketPath
            self.rulebookPath = rulebookPath
        }
    }

    /// Loads `path` (or only the defaults when nil), applies overrides, then loads the rulebook.
    public static func load(path: String?, overrides: Overrides = Overrides()) throws(ConfigError) -> Loaded {
        var configuration = DaemonConfiguration()
        if let path {
            configuration = try parse(text: ConfigFiles.read(path), file: path, into: configuration)
        }
        if let value = overrides.stateDirectory { configuration.stateDirectory = absolute(value) }
        if let value = overrides.socketPath { configuration.socketPath = absolute(value) }
        if let value = overrides.rulebookPath { configuration.rulebookPath = absolute(value) }
        let rulebook = try RulebookLoader.load(path: configuration.rulebookPath)
        try crossCheck(configuration, rulebook, file: path ?? "(defaults)")
        return Loaded(configuration: configuration, rulebook: rulebook)
    }

    static let sections: Set<String> = ["daemon", "store", "calendar", "organisation", "teams", "caseworkers", "channels", "delivery"]

    public static func parse(text: String, file: String, into base: DaemonConfiguration) throws(ConfigError)
        -> DaemonConfiguration
    {
        let reader = TOMLReader(try TOMLDocument(text: text, file: file))
        let root = reader.root
        root.rejectUnknownKeys(sections)
        var config = base
        let directory = URL(fileURLWithPath: file).deletingLastPathComponent().path
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : directory + "/" + path }

        if let daemon = root.table("daemon") {
            daemon.rejectUnknownKeys([
                "state-directory", "socket", "rulebook", "time-zone", "send-hour", "log-level", "max-request-bytes",
            ])
            if let value = daemon.string("state-directory") { config.stateDirectory = resolve(value) }
            if let value = daemon.string("socket") { config.socketPath = resolve(value) }
            if let value = daemon.string("rulebook") { config.rulebookPath = resolve(value) }
            if let value = daemon.string("time-zone") {
                if TimeZone(identifier: value) == nil { daemon.problem("time-zone", "unknown time zone '\(value)'") }
                config.timeZone = value
            }
            if let value = daemon.int("send-hour", in: 0...23) { config.sendHour = value }
            if let value = daemon.string("log-level") {
                let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
                if levels.contains(value) { config.logLevel = value } else {
                    daemon.problem("log-level", "'\(value)' is not one of \(levels.joined(separator: ", "))")
                }
            }
            if let value = daemon.int("max-request-bytes", in: 1024...(64 << 20)) { config.maxRequestBytes = value }
        }
        if let store = root.table("store") {
            store.rejectUnknownKeys(["synchronous"])
            if let value = store.string("synchronous") {
                if ["full", "normal"].contains(value) { config.synchronous = value } else {
                    store.problem("synchronous", "use 'full' or 'normal'")
                }
            }
        }
        if let calendar = root.table("calendar") {
            calendar.rejectUnknownKeys(["closed-days"])
            if let days = calendar.strings("closed-days") {
                config.closedDays = []
                for text in days {
                    let parts = text.split(separator: "-").compactMap { Int($0) }
                    if parts.count == 2, LocalDate(year: 2000, month: parts[0], day: parts[1]) != nil {
                        config.closedDays.insert(.init(month: parts[0], day: parts[1]))
                    } else {
                        calendar.problem("closed-days", "'\(text)' is not a month-day like '12-24'")
                    }
                }
            }
        }
        readOrganisation(root, into: &config)
        if let channels = root.table("channels") {
            channels.rejectUnknownKeys(["journal", "spool"])
            if let journal = channels.table("journal") {
                journal.rejectUnknownKeys(["enabled"])
                config.journal.enabled = journal.bool("enabled") ?? true
            }
            if let spool = channels.table("spool") {
                spool.rejectUnknownKeys(["enabled", "path"])
                config.spool.enabled = spool.bool("enabled") ?? true
                if let path = spool.string("path") { config.spool.path = path }
            }
        }
        if let delivery = root.table("delivery") {
            delivery.rejectUnknownKeys(["max-attempts", "retry-seconds"])
            if let value = delivery.int("max-attempts", in: 1...100) { config.delivery.maxAttempts = value }
            if let value = delivery.int("retry-seconds", in: 1...86_400) { config.delivery.retrySeconds = value }
        }
        if !reader.problems.isEmpty { throw ConfigError(reader.problems) }
        return config
    }

    static func readOrganisation(_ root: TOMLReader.Table, into config: inout DaemonConfiguration) {
        if let organisation = root.table("organisation") {
            organisation.rejectUnknownKeys(["manager"])
            config.directory.manager = organisation.string("manager")
        }
        if let teams = root.table("teams") {
            for id in teams.keys {
                guard let team = teams.table(id) else { continue }
                team.rejectUnknownKeys(["lead", "manager"])
                config.directory.teams[id] = Directory.Team(
                    id: id, lead: team.string("lead"), manager: team.string("manager"))
            }
        }
        if let caseworkers = root.table("caseworkers") {
            for id in caseworkers.keys {
                do { _ = try Identifier.validate(id, as: "caseworker id") } catch {
                    caseworkers.problem(id, error.message)
                }
                guard let caseworker = caseworkers.table(id) else { continue }
                caseworker.rejectUnknownKeys(["team"])
                guard let team = caseworker.string("team") else {
                    caseworker.problem("team", "every caseworker needs a team")
                    continue
                }
                if config.directory.teams[team] == nil {
                    caseworker.problem("team", "no team '\(team)' under [teams]")
                }
                config.directory.caseworkers[id] = team
            }
        }
    }

    /// Checks that span both files.
    static func crossCheck(_ config: DaemonConfiguration, _ rulebook: Rulebook, file: String) throws(ConfigError) {
        var problems: [Problem] = []
        let enabled = Set(config.channelNames)
        if enabled.isEmpty {
            problems.append(Problem(file: file, line: nil, key: "channels", message: "no channel is enabled; notifications would go nowhere"))
        }
        for rule in rulebook.rules {
            for stage in rule.stages {
                for channel in stage.channels ?? [] where !enabled.contains(channel) {
                    problems.append(Problem(
                        file: config.rulebookPath, line: nil, key: "rule \(rule.id), stage \(stage.name)",
                        message: "channel '\(channel)' is not enabled in \(file)"))
                }
            }
        }
        if !problems.isEmpty { throw ConfigError(problems) }
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
