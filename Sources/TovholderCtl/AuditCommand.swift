import ArgumentParser
import TovholderCore
import TovholderProtocol

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Show who read or changed citizens' data, newest first.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only entries about this citizen.") var id: String?
    @Option(help: "At most this many (1–10000).") var limit: Int = 100

    func validate() throws {
        if let id { do { _ = try CitizenID(validating: id) } catch { throw ValidationError(error.message) } }
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let list = try global.client().call(
                .audit, AuditParams(citizen: id.map(CitizenID.init(trusted:)), limit: limit), as: AuditListView.self)
            if global.json { return Output.printJSON(list) }
            print(Output.table(["AT", "CALLER", "UID", "PID", "ACTION", "CITIZEN", "OUTCOME"], list.entries.map {
                [Output.shortTime($0.at), $0.caller, $0.uid.map(String.init) ?? "-", $0.pid.map(String.init) ?? "-",
                 $0.action, $0.citizen ?? "-", $0.outcome]
            }))
        }
    }
}
