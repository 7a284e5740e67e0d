import Testing
import TovholderCore

@Suite struct LocalDateTests {
    func date(_ text: String) -> LocalDate { LocalDate(text)! }

    @Test func parsesOnlyRealDatesInStrictForm() {
        #expect(LocalDate("2026-02-28") != nil)
        #expect(LocalDate("2026-02-29") == nil)
        #expect(LocalDate("2024-02-29") != nil)
        #expect(LocalDate("2026-02-30") == nil)
        #expect(LocalDate("2026-13-01") == nil)
        #expect(LocalDate("2026-04-31") == nil)
        #expect(LocalDate("2026-1-01") == nil)
        #expect(LocalDate("2026-01-01x") == nil)
        #expect(LocalDate("26-01-01") == nil)
        #expect(LocalDate("") == nil)
        #expect(LocalDate("1900-02-29") == nil)
        #expect(LocalDate("2000-02-29") != nil)
    }

    @Test func monthsLandOnTheSameDayOrTheMonthsLastDay() {
        #expect(date("2026-01-31").adding(months: 1) == date("2026-02-28"))
        #expect(date("2024-01-31").adding(months: 1) == date("2024-02-29"))
        #expect(date("2026-03-31").adding(months: 1) == date("2026-04-30"))
        #expect(date("2026-05-15").adding(months: 1) == date("2026-06-15"))
        #expect(date("2026-12-15").adding(months: 1) == date("2027-01-15"))
        #expect(date("2026-08-31").adding(months: 6) == date("2027-02-28"))
        #expect(date("2024-02-29").adding(months: 12) == date("2025-02-28"))
        #expect(date("2026-03-31").adding(months: -1) == date("2026-02-28"))
    }

    @Test func offsetsCountFromTheTriggerDay() {
        #expect(CalendarOffset("6 weeks")!.applied(to: date("2026-03-02")) == date("2026-04-13"))
        #expect(CalendarOffset("1 month")!.applied(to: date("2026-01-31")) == date("2026-02-28"))
        #expect(CalendarOffset("13 weeks")!.applied(to: date("2026-01-05")) == date("2026-04-06"))
        #expect(CalendarOffset("1 year")!.applied(to: date("2024-02-29")) == date("2025-02-28"))
        #expect(CalendarOffset("-7 days")!.applied(to: date("2026-03-01")) == date("2026-02-22"))
        #expect(CalendarOffset("1 fortnight") == nil)
        #expect(CalendarOffset("month") == nil)
    }

    @Test func dayNumbersRoundTripAndWeekdaysAreRight() {
        for dayNumber in stride(from: -1000, through: 40_000, by: 7) {
            #expect(LocalDate(dayNumber: dayNumber).dayNumber == dayNumber)
        }
        #expect(date("1970-01-01").dayNumber == 0)
        #expect(date("2026-11-22").weekday == 7)  // a Sunday
        #expect(date("2026-11-23").weekday == 1)
        #expect(date("2024-02-29").weekday == 4)
        #expect(date("2026-01-31").days(until: date("2026-03-01")) == 29)
    }
}

@Suite struct CitizenIDTests {
    @Test func refusesIdsThatLookLikeCPRNumbers() {
        #expect(throws: DomainError.self) { try CitizenID(validating: "010190-1234") }
        #expect(throws: DomainError.self) { try CitizenID(validating: "0101901234") }
        #expect(throws: DomainError.self) { try CitizenID(validating: "") }
        #expect(throws: DomainError.self) { try CitizenID(validating: "has space") }
        #expect(throws: DomainError.self) { try CitizenID(validating: String(repeating: "a", count: 65)) }
        #expect((try? CitizenID(validating: "K-2026-00017")) != nil)
        #expect((try? CitizenID(validating: "9999999999")) != nil)  // not a plausible date
    }
}
