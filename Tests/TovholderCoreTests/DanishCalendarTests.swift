import Foundation
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

@Suite struct FastPathTests {
    @Test func theHolidayCheckAgreesWithTheHolidayListForAWholeCentury() {
        let calendar = DanishCalendar()
        for year in 1990...2100 {
            let listed = Set(DanishCalendar.holidays(year: year).map(\.date))
            var day = LocalDate(year: year, month: 1, day: 1)!
            while day.year == year {
                #expect(calendar.isPublicHoliday(day) == (listed.contains(day) || day.weekday == 7), "\(day)")
                day = day.adding(days: 1)
            }
        }
    }

    @Test func theOffsetTableAgreesWithTheTimeZoneDatabase() {
        let zone = TimeZone(identifier: "Europe/Copenhagen")!
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // Every 7h37m over 1990–2060, which lands on every hour of the day and both sides of each DST change.
        var seconds: Int64 = 631_152_000
        while seconds < 2_871_763_200 {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            let parts = calendar.dateComponents([.year, .month, .day], from: date)
            #expect(LocalTime.copenhagen.date(atMillis: seconds * 1000) == LocalDate(year: parts.year!, month: parts.month!, day: parts.day!))
            seconds += 27_420
        }
        for text in ["2026-03-29", "2026-10-25", "2026-01-15", "2026-07-01", "2040-03-25"] {
            let day = LocalDate(text)!
            let expected = calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 8))!
            #expect(LocalTime.copenhagen.millis(on: day, hour: 8) == Int64(expected.timeIntervalSince1970 * 1000))
        }
    }

    @Test func isoFormattingMatchesFoundation() {
        for millis: Int64 in [0, 1_795_375_621_832, 951_782_400_000, -86_400_001, 4_102_444_799_999] {
            let expected = Date(timeIntervalSince1970: TimeInterval(millis >= 0 ? millis / 1000 : (millis - 999) / 1000)).formatted(.iso8601)
            #expect(millis.iso8601 == expected)
        }
    }
}
