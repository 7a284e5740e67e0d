import ArgumentParser
import TovholderCore
import TovholderProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the daemon's version, uptime, counts, next firing and outbox depth.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform { () throws(CtlError) in
            let status = try global.client().call(.status, Empty(), as: StatusView.self)
            if global.json { return Output.printJSON(status) }
            let statuses = ["pending", "overdue", "met", "met-late", "waived", "suspended"]
            print("""
                tovholderd \(status.version), up \(status.uptimeSeconds)s (since \(Output.shortTime(status.startedAt)))
                today:        \(status.today)
                rulebook:     \(status.rulebook)
                citizens:     \(status.citizens)
                events:       \(status.events)
                deadlines:    \(statuses.map { "\(status.deadlines[$0] ?? 0) \($0)" }.joined(separator: ", "))
                next firing:  \(status.nextFiring.map(Output.shortTime) ?? "none armed")
                outbox:       \(status.outbox["pending"] ?? 0) pending, \(status.outbox["delivered"] ?? 0) delivered, \(status.outbox["failed"] ?? 0) failed
                """)
        }
    }
}
