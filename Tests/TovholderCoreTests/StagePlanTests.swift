import Foundation
import Testing
import TovholderCore

@Suite struct StagePlanTests {
    typealias F = Fixtures
    let plan = StagePlan(calendar: DanishCalendar(), time: .copenhagen, sendHour: 8)
    var rule: Rule { F.rulebook.versions(of: "contract")[0] }

    func at(_ date: String, _ hour: Int = 8) -> Int64 { LocalTime.copenhagen.millis(on: F.date(date), hour: hour) }

    @Test func stagesFireOnWorkingMorningsInCopenhagenTime() {
        // Due Thu 9 Apr 2026: remind-7d = Thu 2 Apr (skærtorsdag) → Wed 1 Apr; due Thu 9 Apr;
        // escalate +1 = Fri 10 Apr; escalate +14 = Thu 23 Apr.
        let times = plan.fireTimes(of: rule, due: F.date("2026-04-09"))
        #expect(times == [at("2026-04-01"), at("2026-04-09"), at("2026-04-10"), at("2026-04-23")])
        // 08:00 in summer time is 06:00 UTC, in winter 07:00 UTC.
        #expect(at("2026-04-01") % 86_400_000 == 6 * 3_600_000)
        #expect(at("2026-01-15") % 86_400_000 == 7 * 3_600_000)
        #expect(LocalTime.copenhagen.date(atMillis: at("2026-03-29", 1)) == F.date("2026-03-29"))
    }

    @Test func aDueDayOnAWeekendIsAnnouncedTheWorkingDayBeforeAndEscalatedTheWorkingDayAfter() {
        // Due Sat 28 Feb 2026.
        let times = plan.fireTimes(of: rule, due: F.date("2026-02-28"))
        #expect(times[0] == at("2026-02-20"))  // -7 = Sat 21 → Fri 20
        #expect(times[1] == at("2026-02-27"))  // due Sat 28 → Fri 27
        #expect(times[2] == at("2026-03-02"))  // +1 = Sun 1 Mar → Mon 2 Mar
    }

    @Test func aFiringSendsOnlyTheLatestDueStageThenArmsTheNext() {
        let times: [Int64] = [100, 200, 300, 400]
        #expect(StagePlan.fire(fireTimes: times, lastSent: -1, now: 99) == .init(send: nil, next: .init(stage: 0, fireAt: 100)))
        #expect(StagePlan.fire(fireTimes: times, lastSent: -1, now: 100) == .init(send: 0, next: .init(stage: 1, fireAt: 200)))
        // After downtime: three stages passed; only the third is sent.
        #expect(StagePlan.fire(fireTimes: times, lastSent: -1, now: 350) == .init(send: 2, next: .init(stage: 3, fireAt: 400)))
        #expect(StagePlan.fire(fireTimes: times, lastSent: 2, now: 10_000) == .init(send: 3, next: nil))
        #expect(StagePlan.fire(fireTimes: times, lastSent: 3, now: 10_000) == .init(send: nil, next: nil))
    }

    @Test func closedDeadlinesHoldNoTimer() {
        let times: [Int64] = [100, 200]
        #expect(StagePlan.nextTimer(fireTimes: times, lastSent: -1, state: .open) == .init(stage: 0, fireAt: 100))
        #expect(StagePlan.nextTimer(fireTimes: times, lastSent: 0, state: .open) == .init(stage: 1, fireAt: 200))
        #expect(StagePlan.nextTimer(fireTimes: times, lastSent: 1, state: .open) == nil)
        for state in [DeadlineState.met, .waived, .suspended] {
            #expect(StagePlan.nextTimer(fireTimes: times, lastSent: -1, state: state) == nil)
        }
    }

    @Test func rolesResolveUpTheChainWhenTheOrganisationHasGaps() {
        let directory = Directory(
            caseworkers: ["cw-a": "north", "cw-b": "south"],
            teams: ["north": .init(id: "north", lead: "lead-n", manager: nil), "south": .init(id: "south", lead: nil, manager: "mgr-s")],
            manager: "mgr")
        #expect(directory.resolve(.teamLead, caseworker: "cw-a") == ("lead-n", .teamLead))
        #expect(directory.resolve(.manager, caseworker: "cw-a") == ("mgr", .manager))
        #expect(directory.resolve(.teamLead, caseworker: "cw-b") == ("mgr-s", .manager))
        #expect(Directory().resolve(.manager, caseworker: "cw-x") == ("cw-x", .caseworker))
    }
}
