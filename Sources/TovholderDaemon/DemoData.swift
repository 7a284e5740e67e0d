import TovholderCore
import TovholderEngine

/// A few demo citizens, dated relative to today, so a new install shows every status at once: deadlines
/// met, met late, pending, overdue (with escalations fired), waived and suspended.
enum DemoData {
    static func seed(_ engine: Engine, caseworkers: [String]) async throws {
        let today = engine.workflow.today(engine.wall.nowMillis())
        func day(_ offset: Int) -> LocalDate { today.adding(days: offset) }
        let cw = caseworkers.sorted()
        guard !cw.isEmpty else { return }
        func worker(_ index: Int) -> String { cw[index % cw.count] }
        typealias Step = (EventKind, Int, OfferKind?)
        let citizens: [(String, String, Int, Int?, Track?, [Step])] = [
            // Taken over six weeks ago: contract on time, first offer late, Danish education still missing.
            ("D-1001", worker(0), -45, -40, .jobReady, [
                (.contractSigned, -30, nil), (.offerStarted, -8, .praktik), (.conversationHeld, -20, nil),
            ]),
            // Taken over ten days ago: everything pending, reminders coming up.
            ("D-1002", worker(1), -10, nil, .activityReady, []),
            // Seven months in: offers and conversations under way, one interval running.
            ("D-1003", worker(2), -210, -200, .jobReady, [
                (.contractSigned, -195, nil), (.danishEducationReferred, -190, nil), (.offerStarted, -185, .loentilskud),
                (.conversationHeld, -170, nil), (.conversationHeld, -120, nil), (.healthAssessmentOffered, -100, nil),
                (.offerEnded, -60, .loentilskud), (.offerStarted, -30, .praktik), (.offerEnded, -5, .praktik),
                (.conversationHeld, -40, nil),
            ]),
            // On sick leave: deadlines suspended.
            ("D-1004", worker(0), -20, nil, nil, [(.contractSigned, -15, nil), (.paused, -12, nil)]),
            // Moved away: open deadlines waived.
            ("D-1005", worker(1), -60, nil, nil, [(.contractSigned, -50, nil), (.movedAway, -25, nil)]),
        ]
        for (id, caseworker, takeover, visitation, track, steps) in citizens {
            let citizen = Citizen(
                id: CitizenID(trusted: id), caseworker: caseworker, takeover: day(takeover),
                visitation: visitation.map(day), track: track)
            let history = steps.sorted(by: { $0.1 < $1.1 }).map { NewEvent(kind: $0.0, date: day($0.1), offer: $0.2) }
            _ = try await engine.submit(.addCitizen(citizen, history: history), caller: .daemon)
        }
    }
}
