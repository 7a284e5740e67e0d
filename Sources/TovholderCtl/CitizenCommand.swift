import ArgumentParser
import TovholderCore
import TovholderProtocol

struct CitizenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "citizen", abstract: "Add, show and list citizens.",
        subcommands: [CitizenAdd.self, CitizenShow.self, CitizenList.self])
}


extension LocalDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

extension Track: ExpressibleByArgument {}
extension OfferKind: ExpressibleByArgument {}

struct CitizenAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add", abstract: "Add a citizen by the case system's id (never a CPR number).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The case system's id for the citizen.") var id: String
    @Option(help: "The caseworker's id, as listed in the configuration.") var caseworker: String
    @Option(help: "The takeover date (YYYY-MM-DD).") var takeover: LocalDate
    @Option(help: "The date visitation was completed (YYYY-MM-DD).") var visitation: LocalDate?
    @Option(help: "job-ready or activity-ready.") var track: Track?
    @Option(help: "The household's id, for families with one coordinator.") var household: String?

    func validate() throws {
        do { _ = try CitizenID(validating: id) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let params = CitizenAddParams(
                id: CitizenID(trusted: id), caseworker: caseworker, takeover: takeover, visitation: visitation,
                track: track, household: household)
            let citizen = try global.client().call(.citizenAdd, params, as: CitizenView.self)
            if global.json { return Output.printJSON(citizen) }
            print("added citizen \(citizen.id) (caseworker \(citizen.caseworker), takeover \(citizen.takeover))")
            print(Output.deadlineRows(citizen.deadlines ?? [], withCitizen: false))
        }
    }
}

struct CitizenShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a citizen, their events and deadlines.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The citizen's id.") var id: String

    func validate() throws {
        do { _ = try CitizenID(validating: id) } catch { throw ValidationError(error.message) }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let citizen = try global.client().call(.citizenShow, CitizenShowParams(id: CitizenID(trusted: id)), as: CitizenView.self)
            if global.json { return Output.printJSON(citizen) }
            print("citizen     \(citizen.id)")
            print("caseworker  \(citizen.caseworker)")
            print("takeover    \(citizen.takeover)")
            print("visitation  \(citizen.visitation?.description ?? "-")")
            print("track       \(citizen.track?.rawValue ?? "-")")
            print("household   \(citizen.household ?? "-")")
            let events = citizen.events ?? []
            print("\nevents (\(events.count))")
            if !events.isEmpty {
                print(Output.table(["DATE", "KIND", "OFFER"], events.map { [$0.date.description, $0.kind.rawValue, $0.offer?.rawValue ?? "-"] }))
            }
            print("\ndeadlines")
            print(Output.deadlineRows(citizen.deadlines ?? [], withCitizen: false))
        }
    }
}

struct CitizenList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List citizens, optionally of one caseworker.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this caseworker's citizens.") var caseworker: String?
    @Option(help: "At most this many (1–10000).") var limit: Int = 1000
    @Option(help: "Start after this citizen id (paging).") var after: String?

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be between 1 and 10000") }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let list = try global.client().call(
                .citizenList, CitizenListParams(caseworker: caseworker, after: after, limit: limit), as: CitizenListView.self)
            if global.json { return Output.printJSON(list) }
            print(Output.table(["CITIZEN", "CASEWORKER", "TAKEOVER", "TRACK", "HOUSEHOLD"], list.citizens.map {
                [$0.id, $0.caseworker, $0.takeover.description, $0.track?.rawValue ?? "-", $0.household ?? "-"]
            }))
            if let next = list.next { print("(more: --after \(next))") }
        }
    }
}
