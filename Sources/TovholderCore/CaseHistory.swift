/// Checks that a new event makes sense in a citizen's history, so that each bad event is refused with a
/// specific reason and nothing is stored.
public enum CaseHistory {
    /// Throws when `event` cannot be recorded for `citizen` whose history is `events`; `today` bounds the date.
    public static func check(
        _ event: CaseEvent, citizen: Citizen, events: [CaseEvent], today: LocalDate
    ) throws(DomainError) {
        if event.date < citizen.takeover {
            throw .invalid(
                "\(event.kind.rawValue) dated \(event.date) is before citizen \(citizen.id)'s takeover on \(citizen.takeover)")
        }
        if event.date > today {
            throw .invalid("\(event.kind.rawValue) dated \(event.date) is in the future; record events once they have happened")
        }
        if event.kind.needsOffer, event.offer == nil {
            throw .invalid("\(event.kind.rawValue) needs the kind of offer: --offer praktik or --offer loentilskud")
        }
        if !event.kind.needsOffer, event.offer != nil {
            throw .invalid("\(event.kind.rawValue) takes no offer kind")
        }
        // The stored history was valid, so any conflict found now is caused by the new event.
        let all = (events + [event]).sorted(by: CaseEvent.caseOrder)
        var running: [OfferKind: LocalDate] = [:]
        var pausedSince: LocalDate?
        var closed: CaseEvent?
        for item in all {
            if let problem = conflict(item, running: &running, pausedSince: &pausedSince, closed: &closed, citizen: citizen) {
                if item.sequence == event.sequence { throw .invalid(problem) }
                throw .invalid(
                    "\(event.kind.rawValue) dated \(event.date) conflicts with the recorded \(item.kind.rawValue) "
                        + "on \(item.date): \(problem)")
            }
        }
    }

    /// Applies `item` to the running state; returns why it cannot follow what came before, if it cannot.
    static func conflict(
        _ item: CaseEvent, running: inout [OfferKind: LocalDate], pausedSince: inout LocalDate?,
        closed: inout CaseEvent?, citizen: Citizen
    ) -> String? {
        if let closed {
            return "citizen \(citizen.id)'s case was closed by \(closed.kind.rawValue) on \(closed.date); "
                + "no \(item.kind.rawValue) can follow it"
        }
        switch item.kind {
        case .offerStarted:
            let offer = item.offer!
            if let since = running[offer] {
                return "a \(offer.rawValue) offer is already running since \(since); record offer-ended first"
            }
            running[offer] = item.date
        case .offerEnded:
            let offer = item.offer!
            if running[offer] == nil { return "no \(offer.rawValue) offer is running on \(item.date); record offer-started first" }
            running[offer] = nil
        case .paused:
            if let since = pausedSince { return "citizen \(citizen.id) is already paused since \(since)" }
            pausedSince = item.date
        case .resumed:
            if pausedSince == nil { return "citizen \(citizen.id) is not paused on \(item.date); nothing to resume" }
            pausedSince = nil
        case .movedAway, .programmeEnded:
            closed = item
        default:
            break
        }
        return nil
    }
}
