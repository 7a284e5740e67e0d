import Testing
import TovholderCore

@Suite struct CaseHistoryTests {
    typealias F = Fixtures
    let today = LocalDate("2026-06-01")!

    func check(_ kind: EventKind, _ date: String, _ offer: OfferKind? = nil, after history: [(EventKind, String, OfferKind?)] = []) -> String? {
        do {
            try CaseHistory.check(
                CaseEvent(sequence: .max, kind: kind, date: F.date(date), offer: offer), citizen: F.citizen(),
                events: F.events(history), today: today)
            return nil
        } catch { return error.message }
    }

    @Test func refusesEventsBeforeTakeoverOrInTheFuture() {
        #expect(check(.contractSigned, "2026-01-30")?.contains("before citizen C-1's takeover on 2026-01-31") == true)
        #expect(check(.contractSigned, "2026-06-02")?.contains("in the future") == true)
        #expect(check(.contractSigned, "2026-01-31") == nil)
    }

    @Test func offersNeedTheirKindAndMustStartBeforeTheyEnd() {
        #expect(check(.offerStarted, "2026-02-01")?.contains("--offer") == true)
        #expect(check(.contractSigned, "2026-02-01", .praktik)?.contains("takes no offer") == true)
        #expect(check(.offerEnded, "2026-02-01", .praktik)?.contains("no praktik offer is running") == true)
        #expect(check(.offerStarted, "2026-03-01", .praktik, after: [(.offerStarted, "2026-02-01", .praktik)])?.contains("already running") == true)
        #expect(check(.offerStarted, "2026-03-01", .loentilskud, after: [(.offerStarted, "2026-02-01", .praktik)]) == nil)
    }

    @Test func pausesAlternateAndNothingFollowsAClosedCase() {
        #expect(check(.resumed, "2026-02-01")?.contains("not paused") == true)
        #expect(check(.paused, "2026-03-01", after: [(.paused, "2026-02-01", nil)])?.contains("already paused") == true)
        #expect(check(.contractSigned, "2026-03-01", after: [(.movedAway, "2026-02-01", nil)])?.contains("was closed by moved-away") == true)
    }

    @Test func aBackdatedEventThatBreaksALaterOneIsRefused() {
        // Ending the praktik before it started would orphan the recorded end.
        let message = check(.movedAway, "2026-02-15", after: [(.offerStarted, "2026-03-01", .praktik)])
        #expect(message?.contains("conflicts with the recorded offer-started on 2026-03-01") == true)
    }
}
