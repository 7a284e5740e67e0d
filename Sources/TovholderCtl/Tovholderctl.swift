import ArgumentParser
import Foundation

/// `tovholderctl`: query and change what tovholderd keeps.
public struct Tovholderctl: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tovholderctl",
        abstract: "Query tovholderd and record case events over its control socket.",
        discussion: "Exit codes: 0 success, 1 failure, 2 bad usage, 4 no such citizen or object.",
        version: "0.1.0",
        subcommands: [
            StatusCommand.self, CitizenCommand.self, EventCommand.self, DeadlinesCommand.self, ImportCommand.self,
            NotificationsCommand.self, AuditCommand.self,
        ])

    public init() {}
}

/// Runs a command body; a CtlError becomes one line on stderr and its exit code.
func perform(_ body: () throws(CtlError) -> Void) throws {
    do {
        try body()
    } catch {
        FileHandle.standardError.write(Data("tovholderctl: \(error.description)\n".utf8))
        throw ExitCode(error.exitCode)
    }
}

extension Tovholderctl {
    /// Parses and runs, with systemd-style exit codes: a usage error exits 2 (not ArgumentParser's 64).
    public static func launch() -> Never {
        do {
            var command = try parseAsRoot(hoistingGlobalOptions(Array(CommandLine.arguments.dropFirst())))
            try command.run()
            exit(withError: nil)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// `tovholderctl --socket S --json status` → `tovholderctl status --socket S --json`: global options are
/// accepted before the subcommand too.
func hoistingGlobalOptions(_ arguments: [String]) -> [String] {
    var leading: [String] = []
    var rest = arguments[...]
    while let first = rest.first {
        if first == "--json" {
            leading.append(first)
            rest = rest.dropFirst()
        } else if first == "--socket", rest.count >= 2 {
            leading += rest.prefix(2)
            rest = rest.dropFirst(2)
        } else if first.hasPrefix("--socket=") {
            leading.append(first)
            rest = rest.dropFirst()
        } else {
            break
        }
    }
    guard !leading.isEmpty else { return arguments }
    // Insert after the subcommand path (the words before the first option or positional that is not a subcommand).
    let words = Array(rest)
    var split = 0
    let groups: Set<String> = ["citizen"]
    if let first = words.first, !first.hasPrefix("-") {
        split = 1
        if groups.contains(first), words.count > 1, !words[1].hasPrefix("-") { split = 2 }
    }
    return Array(words[..<split]) + leading + Array(words[split...])
}
