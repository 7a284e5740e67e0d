import ArgumentParser
import TovholderCore
import TovholderProtocol

struct DeadlinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deadlines", abstract: "List deadlines with their status, for one citizen or across the caseload.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only this citizen's deadlines.") var id: String?
    @Flag(help: "Only deadlines that are overdue today.") var overdue = false
    @Option(name: .customLong("due-before"), help: "Only deadlines due before this date (YYYY-MM-DD).") var dueBefore: LocalDate?
    @Option(help: "Only this caseworker's citizens.") var caseworker: String?
    @Option(help: "At most this many (1–100000).") var limit: Int = 10_000

    func validate() throws {
        if let id { do { _ = try CitizenID(validating: id) } catch { throw ValidationError(error.message) } }
        guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 100000") }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let params = DeadlinesParams(
                citizen: id.map(CitizenID.init(trusted:)), overdue: overdue ? true : nil, dueBefore: dueBefore,
                caseworker: caseworker, limit: limit)
            let list = try global.client().call(.deadlines, params, as: DeadlineListView.self)
            if global.json { return Output.printJSON(list) }
            print(Output.deadlineRows(list.deadlines, withCitizen: true))
        }
    }
}
