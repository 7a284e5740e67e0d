import Foundation
import Testing
import TovholderConfig
import TovholderCore

/// The shipped rulebook (config/rulebook.toml) on worked examples, one per rule.
@Suite struct ShippedRulebookTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    let rulebook = try! RulebookLoader.load(path: repository.appendingPathComponent("config/rulebook.toml").path)
    let today = LocalDate("2026-11-22")!

    func date(_ text: String) -> LocalDate { LocalDate(text)! }

    func derive(takeover: String, visitation: String? = nil, _ items: [(EventKind, String, OfferKind?)] = []) -> [String: Deadline] {
        let citizen = Citizen(id: CitizenID(trusted: "K-1"), caseworker: "cw", takeover: date(takeover), visitation: visitation.map(date))
        let events = items.enumerated().map { CaseEvent(sequence: Int64($0.offset + 1), kind: $0.element.0, date: date($0.element.1), offer: $0.element.2) }
        return Dictionary(uniqueKeysWithValues: Derivation.deadlines(
            for: citizen, events: events, rulebook: rulebook, calendar: DanishCalendar()).map { ($0.key, $0) })
    }

    @Test func shipsTheRulesOfRulesMdUnderTheirIds() {
        #expect(rulebook.ruleIDs == [
            "contract", "first-company-offer", "company-offer-interval", "praktik-end", "danish-education",
            "health-assessment", "follow-up-conversations", "programme-review",
        ])
        for rule in rulebook.rules { #expect(!rule.stages.isEmpty, "\(rule.id) has stages") }
    }

    @Test func contractWithinOneMonthOfTakeover() {
        #expect(derive(takeover: "2026-01-31")["contract#takeover"]!.due == date("2026-02-28"))
        let met = derive(takeover: "2026-01-31", [(.contractSigned, "2026-02-20", nil)])["contract#takeover"]!
        #expect(met.status(today: today) == .met)
    }

    @Test func firstCompanyOfferWithinOneMonthByEitherOfferKind() {
        let late = derive(takeover: "2026-03-31", [(.offerStarted, "2026-05-04", .loentilskud)])["first-company-offer#takeover"]!
        #expect(late.due == date("2026-04-30"))
        #expect(late.status(today: today) == .metLate)
        let onTime = derive(takeover: "2026-03-31", [(.offerStarted, "2026-04-14", .praktik)])["first-company-offer#takeover"]!
        #expect(onTime.status(today: today) == .met)
    }

    @Test func atMostSixWeeksBetweenOffers() {
        let d = derive(takeover: "2026-01-05", [
            (.offerStarted, "2026-01-20", .praktik), (.offerEnded, "2026-04-20", .praktik),
        ])["company-offer-interval#e2"]!
        #expect(d.due == date("2026-06-01"))
        #expect(d.status(today: today) == .overdue)
    }

    @Test func praktikEndThirteenWeeksAfterAPlacementStartsAndOnlyForPraktik() {
        let all = derive(takeover: "2026-01-05", [
            (.offerStarted, "2026-01-20", .praktik), (.offerStarted, "2026-02-02", .loentilskud),
        ])
        #expect(all["praktik-end#e1"]!.due == date("2026-04-21"))
        #expect(all["praktik-end#e2"] == nil)
    }

    @Test func danishEducationWithinOneMonthAndHealthAssessmentWithinSix() {
        let all = derive(takeover: "2026-08-31", [(.danishEducationReferred, "2026-09-29", nil)])
        #expect(all["danish-education#takeover"]!.due == date("2026-09-30"))
        #expect(all["danish-education#takeover"]!.status(today: today) == .met)
        #expect(all["health-assessment#takeover"]!.due == date("2027-02-28"))
    }

    @Test func fourFollowUpConversationsWithinSixMonthsOfVisitation() {
        let d = derive(takeover: "2026-01-10", visitation: "2026-01-20", [
            (.conversationHeld, "2026-02-01", nil), (.conversationHeld, "2026-03-01", nil),
            (.conversationHeld, "2026-05-01", nil), (.conversationHeld, "2026-07-21", nil),
        ])["follow-up-conversations#visitation"]!
        #expect(d.due == date("2026-07-20"))
        #expect(d.progress == 4)
        #expect(d.status(today: today) == .metLate)
    }

    @Test func programmeReviewAfterAYearAndAgainAfterEachExtension() {
        let all = derive(takeover: "2025-06-15", [(.programmeExtended, "2026-06-10", nil)])
        #expect(all["programme-review#takeover"]!.due == date("2026-06-15"))
        #expect(all["programme-review#takeover"]!.status(today: today) == .met)
        #expect(all["programme-review#e1"]!.due == date("2027-06-10"))
        #expect(all["programme-review#e1"]!.status(today: today) == .pending)
        let ended = derive(takeover: "2025-06-15", [(.programmeEnded, "2026-06-10", nil)])
        #expect(ended["programme-review#takeover"]!.status(today: today) == .met)
        #expect(ended["contract#takeover"]!.status(today: today) == .waived)
    }
}
