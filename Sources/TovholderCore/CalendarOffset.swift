/// A span counted in calendar units, as RULES.md counts: the trigger day is not counted, months land on
/// the same day-number (clamped to the month's end), weeks are seven days.
public struct CalendarOffset: Hashable, Sendable {
    public enum Unit: String, Sendable, CaseIterable {
        case day, week, month, year
    }

    public var amount: Int
    public var unit: Unit

    public init(_ amount: Int, _ unit: Unit) {
        self.amount = amount
        self.unit = unit
    }

    /// Parses `"1 month"`, `"6 weeks"`, `"-7 days"`, `"+1 day"`, `"1 year"`.
    public init?(_ text: String) {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, let amount = Int(parts[0]) else { return nil }
        var word = parts[1].lowercased()
        if word.hasSuffix("s") { word.removeLast() }
        guard let unit = Unit(rawValue: word) else { return nil }
        self.init(amount, unit)
    }

    /// The date this offset lands on, counted from `date`.
    public func applied(to date: LocalDate) -> LocalDate {
        switch unit {
        case .day: return date.adding(days: amount)
        case .week: return date.adding(days: 7 * amount)
        case .month: return date.adding(months: amount)
        case .year: return date.adding(months: 12 * amount)
        }
    }
}

extension CalendarOffset: CustomStringConvertible {
    public var description: String { "\(amount) \(unit.rawValue)\(abs(amount) == 1 ? "" : "s")" }
}
