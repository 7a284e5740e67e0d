import ArgumentParser
import TovholderCore
import TovholderProtocol

struct NotificationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notifications", abstract: "List notifications in the outbox, newest first.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only those waiting for delivery.") var pending = false
    @Flag(help: "Only those that failed for good.") var failed = false
    @Option(help: "At most this many (1–10000).") var limit: Int = 100

    func validate() throws {
        if pending && failed { throw ValidationError("use --pending or --failed, not both") }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let state = pending ? "pending" : failed ? "failed" : nil
            let list = try global.client().call(
                .notifications, NotificationsParams(state: state, limit: limit), as: NotificationListView.self)
            if global.json { return Output.printJSON(list) }
            print(Output.table(
                ["ID", "CITIZEN", "RULE", "STAGE", "DUE", "RECIPIENT", "CHANNEL", "STATE", "TRIES", "ERROR"],
                list.notifications.map {
                    [String($0.id), $0.citizen, $0.rule, $0.stage, $0.due.description, $0.recipient, $0.channel,
                     $0.state, String($0.attempts), $0.lastError ?? "-"]
                }))
        }
    }
}
