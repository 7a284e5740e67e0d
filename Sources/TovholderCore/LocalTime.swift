import Foundation

/// Converts between wall-clock instants (milliseconds since the Unix epoch) and local dates in the
/// municipality's time zone. DST-safe: a local time is resolved with the offset in force at that instant.
public struct LocalTime: Sendable {
    public let zone: TimeZone

    public init(zone: TimeZone) { self.zone = zone }

    /// Europe/Copenhagen.
    public static let copenhagen = LocalTime(zone: TimeZone(identifier: "Europe/Copenhagen")!)

    /// The local date at an instant.
    public func date(atMillis millis: Int64) -> LocalDate {
        let seconds = millis / 1000
        let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(seconds))))
        let local = seconds + offset
        return LocalDate(dayNumber: Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
    }

    /// The instant of `hour:minute` local time on `date`.
    public func millis(on date: LocalDate, hour: Int, minute: Int = 0) -> Int64 {
        let localSeconds = Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60)
        var offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds))))
        offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(localSeconds - offset))))
        return (localSeconds - offset) * 1000
    }
}
