import Testing
import TovholderCore

@Suite struct DerivationTests {
    typealias F = Fixtures
    let today = LocalDate("2026-06-01")!

    @Test func anOpenDeadlineIsPendingThroughItsDueDayAndOverdueAfter() {
        let d = F.derive(F.citizen(), [])["contract#takeover"]!
        #expect(d.due == F.date("2026-02-28"))  // 31 Jan + 1 month
        #expect(d.status(today: F.date("2026-02-28")) == .pending)
        #expect(d.status(today: F.date("2026-03-01")) == .overdue)
        #expect(d.metOn == nil)
    }

    @Test func metOnTimeOrLate() {
        let onTime = F.derive(F.citizen(), F.events([(.contractSigned, "2026-02-28", nil)]))["contract#takeover"]!
        #expect(onTime.status(today: today) == .met)
        #expect(onTime.metOn == F.date("2026-02-28"))
        let late = F.derive(F.citizen(), F.events([(.contractSigned, "2026-03-01", nil)]))["contract#takeover"]!
        #expect(late.status(today: today) == .metLate)
        #expect(late.metOn == F.date("2026-03-01"))
    }

    @Test func movingAwayWaivesWhatIsOpenButKeepsWhatWasMet() {
        let all = F.derive(F.citizen(visitation: "2026-02-01"), F.events([
            (.conversationHeld, "2026-02-10", nil), (.movedAway, "2026-02-20", nil),
        ]))
        #expect(all["contract#takeover"]!.status(today: today) == .waived)
        #expect(all["contract#takeover"]!.closedOn == F.date("2026-02-20"))
        #expect(all["talks#visitation"]!.status(today: today) == .waived)
        let met = F.derive(F.citizen(), F.events([(.contractSigned, "2026-02-10", nil), (.movedAway, "2026-02-20", nil)]))
        #expect(met["contract#takeover"]!.status(today: today) == .met)
    }

    @Test func aPauseSuspendsAndTheResumeMovesTheDueDateByThePausedDays() {
        let paused = F.derive(F.citizen(), F.events([(.paused, "2026-02-10", nil)]))["contract#takeover"]!
        #expect(paused.status(today: today) == .suspended)
        let resumed = F.derive(F.citizen(), F.events([(.paused, "2026-02-10", nil), (.resumed, "2026-02-24", nil)]))["contract#takeover"]!
        #expect(resumed.state == .open)
        #expect(resumed.suspendedDays == 14)
        #expect(resumed.due == F.date("2026-03-14"))
    }

    @Test func aPauseAfterTheDueDateDoesNotRescueAnOverdueDeadline() {
        let d = F.derive(F.citizen(), F.events([(.paused, "2026-03-10", nil), (.resumed, "2026-03-20", nil)]))["contract#takeover"]!
        #expect(d.due == F.date("2026-02-28"))
        #expect(d.suspendedDays == 0)
    }

    @Test func everyOfferEndStartsItsOwnIntervalMetByTheNextStart() {
        let all = F.derive(F.citizen(), F.events([
            (.offerStarted, "2026-02-02", .praktik), (.offerEnded, "2026-03-02", .praktik),
            (.offerStarted, "2026-04-20", .loentilskud), (.offerEnded, "2026-05-04", .loentilskud),
        ]))
        let first = all["interval#e2"]!
        #expect(first.due == F.date("2026-04-13"))
        #expect(first.status(today: today) == .metLate)
        let second = all["interval#e4"]!
        #expect(second.due == F.date("2026-06-15"))
        #expect(second.status(today: today) == .pending)
    }

    @Test func fourConversationsAreNeededAndProgressIsCounted() {
        let three = F.derive(F.citizen(visitation: "2026-02-05"), F.events([
            (.conversationHeld, "2026-02-10", nil), (.conversationHeld, "2026-03-10", nil), (.conversationHeld, "2026-04-10", nil),
        ]))["talks#visitation"]!
        #expect(three.progress == 3)
        #expect(three.required == 4)
        #expect(three.due == F.date("2026-08-05"))
        #expect(three.state == .open)
        let four = F.derive(F.citizen(visitation: "2026-02-05"), F.events([
            (.conversationHeld, "2026-02-10", nil), (.conversationHeld, "2026-03-10", nil),
            (.conversationHeld, "2026-04-10", nil), (.conversationHeld, "2026-05-10", nil),
        ]))["talks#visitation"]!
        #expect(four.state == .met)
        #expect(four.metOn == F.date("2026-05-10"))
    }

    @Test func visitationRulesWaitForAVisitationDateAndTrackRulesForTheirTrack() {
        let none = F.derive(F.citizen(), [])
        #expect(none["talks#visitation"] == nil)
        #expect(none["jobready-only#takeover"] == nil)
        #expect(F.derive(F.citizen(track: .jobReady), [])["jobready-only#takeover"] != nil)
        #expect(F.derive(F.citizen(track: .activityReady), [])["jobready-only#takeover"] == nil)
    }

    @Test func derivationIsDeterministicAndIndependentOfEventInputOrder() {
        let events = F.events([
            (.offerStarted, "2026-02-02", .praktik), (.contractSigned, "2026-02-03", nil), (.offerEnded, "2026-03-02", .praktik),
        ])
        let a = Derivation.deadlines(for: F.citizen(), events: events, rulebook: F.rulebook, calendar: DanishCalendar())
        let b = Derivation.deadlines(for: F.citizen(), events: events.reversed(), rulebook: F.rulebook, calendar: DanishCalendar())
        #expect(a == b)
    }

    @Test func theRuleVersionInForceOnTheTriggerDateIsUsed() {
        let rulebook = Rulebook(name: "v", rules: [
            Rule(id: "contract", title: "old", effectiveFrom: F.date("2016-01-01"), triggers: [.takeover],
                 due: CalendarOffset(3, .month), satisfiedBy: [EventMatcher(.contractSigned)]),
            Rule(id: "contract", title: "new", effectiveFrom: F.date("2019-03-01"), triggers: [.takeover],
                 due: CalendarOffset(1, .month), satisfiedBy: [EventMatcher(.contractSigned)]),
        ])
        let old = F.derive(F.citizen(takeover: "2018-05-15"), [], rulebook: rulebook)["contract#takeover"]!
        #expect(old.due == F.date("2018-08-15"))
        #expect(old.ruleVersion == F.date("2016-01-01"))
        let new = F.derive(F.citizen(takeover: "2019-05-15"), [], rulebook: rulebook)["contract#takeover"]!
        #expect(new.due == F.date("2019-06-15"))
        #expect(rulebook.fingerprint != F.rulebook.fingerprint)
        #expect(rulebook.fingerprint == Rulebook(name: "v", rules: rulebook.rules).fingerprint)
    }

    @Test func rollingToAWorkingDayIsPerRule() {
        // 31 Jan 2026 + 1 month = Sat 28 Feb 2026.
        var rule = F.rulebook.versions(of: "contract")[0]
        rule.rollToWorkingDay = true
        let rolled = F.derive(F.citizen(), [], rulebook: Rulebook(name: "r", rules: [rule]))["contract#takeover"]!
        #expect(rolled.due == F.date("2026-03-02"))
        #expect(F.derive(F.citizen(), [])["contract#takeover"]!.due == F.date("2026-02-28"))
    }
}
