/// The Danish working calendar: public holidays (from Easter), Sundays, Saturdays, and configurable days
/// that the municipality keeps closed without them being holidays (grundlovsdag, 24 and 31 December).
public struct DanishCalendar: Sendable, Hashable {
    /// A recurring closed day, as month and day.
    public struct MonthDay: Hashable, Sendable {
        public var month: Int
        public var day: Int
        public init(month: Int, day: Int) {
            self.month = month
            self.day = day
        }
    }

    /// Days that are closed although they are not public holidays.
    public var closedDays: Set<MonthDay> {
        didSet { closedTable = Self.table(closedDays) }
    }

    /// `closedDays` as a table indexed by `month * 32 + day`: `isClosed` runs for every stage of every
    /// deadline derived or fired, and hashing a `MonthDay` into the set each time showed in the writer's
    /// profile under ingestion.
    private var closedTable: [Bool]

    private static func table(_ days: Set<MonthDay>) -> [Bool] {
        var table = [Bool](repeating: false, count: 13 * 32)
        for day in days where (1...12).contains(day.month) && (1...31).contains(day.day) {
            table[day.month * 32 + day.day] = true
        }
        return table
    }

    public static func == (lhs: DanishCalendar, rhs: DanishCalendar) -> Bool { lhs.closedDays == rhs.closedDays }

    public func hash(into hasher: inout Hasher) { hasher.combine(closedDays) }

    /// Grundlovsdag (5 June), juleaftensdag (24 December) and nytårsaftensdag (31 December).
    public static let commonClosedDays: Set<MonthDay> = [
        MonthDay(month: 6, day: 5), MonthDay(month: 12, day: 24), MonthDay(month: 12, day: 31),
    ]

    public init(closedDays: Set<MonthDay> = DanishCalendar.commonClosedDays) {
        self.closedDays = closedDays
        self.closedTable = Self.table(closedDays)
    }

    /// Easter Sunday by the anonymous Gregorian algorithm.
    public static func easterSunday(year: Int) -> LocalDate {
        let a = year % 19
        let b = year / 100
        let c = year % 100
        let d = b / 4
        let e = b % 4
        let f = (b + 8) / 25
        let g = (b - f + 1) / 3
        let h = (19 * a + b - d - g + 15) % 30
        let i = c / 4
        let k = c % 4
        let l = (32 + 2 * e + 2 * i - h - k) % 7
        let m = (a + 11 * h + 22 * l) / 451
        let month = (h + l - 7 * m + 114) / 31
        let day = (h + l - 7 * m + 114) % 31 + 1
        return LocalDate(year: year, month: month, day: day)!
    }

    /// The public holidays of a year other than ordinary Sundays, with their Danish names.
    public static func holidays(year: Int) -> [(date: LocalDate, name: String)] {
        let easter = easterSunday(year: year)
        var result: [(LocalDate, String)] = [
            (LocalDate(year: year, month: 1, day: 1)!, "nytårsdag"),
            (easter.adding(days: -3), "skærtorsdag"),
            (easter.adding(days: -2), "langfredag"),
            (easter, "påskedag"),
            (easter.adding(days: 1), "2. påskedag"),
            (easter.adding(days: 39), "Kristi himmelfartsdag"),
            (easter.adding(days: 49), "pinsedag"),
            (easter.adding(days: 50), "2. pinsedag"),
            (LocalDate(year: year, month: 12, day: 25)!, "juledag"),
            (LocalDate(year: year, month: 12, day: 26)!, "2. juledag"),
        ]
        if year <= 2023 {  // Store bededag was abolished from 2024.
            result.append((easter.adding(days: 26), "store bededag"))
        }
        return result.sorted { $0.0 < $1.0 }
    }

    /// True for public holidays and every Sunday. Allocation-free: compares with fixed dates and with
    /// the day's distance from Easter Sunday (the same days `holidays(year:)` lists).
    public func isPublicHoliday(_ date: LocalDate) -> Bool {
        if date.weekday == 7 { return true }
        switch (date.month, date.day) {
        case (1, 1), (12, 25), (12, 26): return true
        case (3, _), (4, _), (5, _), (6, _):
            let fromEaster = date.dayNumber - Self.easterSunday(year: date.year).dayNumber
            switch fromEaster {
            case -3, -2, 0, 1, 39, 49, 50: return true
            case 26: return date.year <= 2023
            default: return false
            }
        default: return false
        }
    }

    /// True for days the municipality's offices are closed: weekends, public holidays and configured days.
    public func isClosed(_ date: LocalDate) -> Bool {
        date.weekday >= 6 || closedTable[date.month * 32 + date.day] || isPublicHoliday(date)
    }

    /// The last working day on or before `date`.
    public func workingDay(onOrBefore date: LocalDate) -> LocalDate {
        var day = date
        while isClosed(day) { day = day.adding(days: -1) }
        return day
    }

    /// The first working day on or after `date`.
    public func workingDay(onOrAfter date: LocalDate) -> LocalDate {
        var day = date
        while isClosed(day) { day = day.adding(days: 1) }
        return day
    }
}
