import Testing
import TovholderCore

@Suite struct DanishCalendarTests {
    func date(_ text: String) -> LocalDate { LocalDate(text)! }
    let calendar = DanishCalendar()

    @Test(arguments: [(2024, "2024-03-31"), (2025, "2025-04-20"), (2026, "2026-04-05"), (2023, "2023-04-09"), (2019, "2019-04-21")])
    func easterSunday(year: Int, expected: String) {
        #expect(DanishCalendar.easterSunday(year: year) == date(expected))
    }

    @Test func theTestVectorsOfRulesMd() {
        for holiday in ["2024-03-28", "2024-05-09", "2024-05-19", "2024-05-20", "2025-05-29", "2025-06-09",
                        "2026-04-02", "2026-05-14", "2026-05-25", "2023-05-05", "2023-05-18"] {
            #expect(calendar.isPublicHoliday(date(holiday)), "\(holiday)")
        }
    }

    @Test func storeBededagIsAHolidayUpToAndIncluding2023Only() {
        #expect(calendar.isPublicHoliday(date("2023-05-05")))
        #expect(!calendar.isPublicHoliday(date("2024-04-26")))
        #expect(!calendar.isClosed(date("2024-04-26")))
    }

    @Test func closedDaysAreConfigurable() {
        #expect(calendar.isClosed(date("2026-06-05")))
        #expect(!calendar.isPublicHoliday(date("2026-06-05")))
        let open = DanishCalendar(closedDays: [])
        #expect(!open.isClosed(date("2026-06-05")))
        #expect(open.isClosed(date("2026-12-25")))
    }

    @Test func workingDaysSkipWeekendsAndHolidays() {
        // Easter 2026: Thu 2 Apr – Mon 6 Apr closed.
        #expect(calendar.workingDay(onOrBefore: date("2026-04-06")) == date("2026-04-01"))
        #expect(calendar.workingDay(onOrAfter: date("2026-04-02")) == date("2026-04-07"))
        #expect(calendar.workingDay(onOrBefore: date("2026-11-22")) == date("2026-11-20"))
        #expect(calendar.workingDay(onOrAfter: date("2026-12-24")) == date("2026-12-28"))
        #expect(calendar.workingDay(onOrAfter: date("2026-11-23")) == date("2026-11-23"))
    }
}
