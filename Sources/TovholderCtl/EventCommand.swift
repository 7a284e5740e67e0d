import ArgumentParser
import TovholderCore
import TovholderProtocol

struct EventCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "event", abstract: "Record a case event for a citizen.",
        discussion: "Kinds: \(EventKind.allCases.map(\.rawValue).joined(separator: ", ")). Offer events need --offer praktik|loentilskud.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The citizen's id.") var id: String
    @Argument(help: "The event kind.") var kind: String
    @Option(help: "The date it happened (YYYY-MM-DD).") var date: LocalDate
    @Option(help: "For offer-started and offer-ended: praktik or loentilskud.") var offer: OfferKind?

    func validate() throws {
        do { _ = try CitizenID(validating: id) } catch { throw ValidationError(error.message) }
        let parsed: EventKind
        do { parsed = try EventKind.parse(kind) } catch { throw ValidationError(error.message) }
        if parsed.needsOffer && offer == nil { throw ValidationError("\(kind) needs --offer praktik or --offer loentilskud") }
        if !parsed.needsOffer && offer != nil { throw ValidationError("\(kind) takes no --offer") }
    }

    func run() throws {
        try perform { () throws(CtlError) in
            let params = EventRecordParams(
                citizen: CitizenID(trusted: id), kind: EventKind(rawValue: kind)!, date: date, offer: offer)
            let citizen = try global.client().call(.eventRecord, params, as: CitizenView.self)
            if global.json { return Output.printJSON(citizen) }
            print("recorded \(kind) on \(date) for citizen \(citizen.id)")
            print(Output.deadlineRows(citizen.deadlines ?? [], withCitizen: false))
        }
    }
}
