import ArgumentParser
import Foundation
import Logging
import TovholderConfig
import TovholderCore
import TovholderSystemd

/// `tovholderd`: the deadline-keeping daemon.
public struct DaemonCommand: AsyncParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "tovholderd",
        abstract: "Keeps the Integration Act's deadlines for every citizen and sends reminders and escalations.",
        discussion: """
            Configuration comes from --config (default /etc/tovholder/tovholder.toml when it exists, else built-in \
            defaults); --state-dir, --socket and --rulebook override the file.
            """,
        version: version)

    @Option(help: "The configuration file (TOML).")
    var config: String?

    @Option(name: .customLong("state-dir"), help: "Directory for the SQLite store, the spool and the lock file.")
    var stateDirectory: String?

    @Option(help: "Path of the control socket.")
    var socket: String?

    @Option(help: "The rulebook file (TOML).")
    var rulebook: String?

    @Flag(name: .customLong("check-config"), help: "Validate the configuration and its rulebook, print every problem, and exit.")
    var checkConfig = false

    @Argument(help: "With --check-config: the configuration file to check (default: --config).")
    var checkPath: String?

    @Flag(help: "Add a few demo citizens when the store is empty.")
    var demo = false

    @Flag(name: .customLong("simulated-clock"), help: "For drills and benchmarks: let clock.set move the daemon's wall clock. Never in production.")
    var simulatedClock = false

    public init() {}

    /// Parses and runs, with systemd-style exit codes: a usage error exits 2 (not ArgumentParser's 64).
    public static func launch() async -> Never {
        do {
            var parsed = try parseAsRoot()
            // `--help` parses to ArgumentParser's own help command, which prints the usage.
            guard let command = parsed as? DaemonCommand else { try parsed.run(); exit(withError: nil) }
            try await command.run()
            exit(withError: nil)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    public func validate() throws {
        if checkPath != nil && !checkConfig {
            throw ValidationError("a bare path is only taken with --check-config; use --config PATH to run with it")
        }
    }

    public func run() async throws {
        let path = checkPath ?? config ?? (FileManager.default.fileExists(atPath: "/etc/tovholder/tovholder.toml")
            ? "/etc/tovholder/tovholder.toml" : nil)
        let overrides = ConfigurationLoader.Overrides(stateDirectory: stateDirectory, socketPath: socket, rulebookPath: rulebook)
        let loaded: ConfigurationLoader.Loaded
        do {
            loaded = try ConfigurationLoader.load(path: path, overrides: overrides)
        } catch {
            FileHandle.standardError.write(Data("tovholderd: invalid configuration:\n\(error.description)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG: systemd's RestartPreventExitStatus= keeps a broken config from looping.
        }
        if checkConfig {
            let rules = loaded.rulebook.ruleIDs.count
            print("\(path ?? "built-in defaults"): OK (rulebook \(loaded.configuration.rulebookPath): \(rules) rules)")
            return
        }
        let logger = Self.bootstrapLogging(level: loaded.configuration.logLevel)
        do {
            try await Daemon(loaded: loaded, demo: demo, simulatedClock: simulatedClock, logger: logger, version: Self.version).run()
        } catch let error as StartupError {
            FileHandle.standardError.write(Data("tovholderd: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Structured journal entries under systemd, plain stderr lines otherwise.
    static func bootstrapLogging(level: String) -> Logger {
        let logLevel = Logger.Level(rawValue: level) ?? .info
        let journal = Systemd.journalAvailable
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = journal ? JournalLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        return Logger(label: "tovholderd")
    }
}
