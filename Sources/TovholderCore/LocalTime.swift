import Foundation

/// Converts between wall-clock instants (milliseconds since the Unix epoch) and local dates in the
/// municipality's time zone. DST-safe: a local time is resolved with the offset in force at that instant.
///
/// The zone's offset changes are read from the time-zone database once (1970–2200) and kept in a sorted
/// table, so a conversion is a binary search instead of a call into ICU.
public struct LocalTime: Sendable {
    public let zone: TimeZone
    /// Instants (seconds) from which `offsets[i]` applies; `offsets[0]` applies before `starts[1]`.
    private let starts: [Int64]
    private let offsets: [Int64]

    public init(zone: TimeZone) {
        self.zone = zone
        var starts: [Int64] = [Int64.min]
        var offsets: [Int64] = [Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: 0)))]
        var cursor = Date(timeIntervalSince1970: 0)
        let end = Date(timeIntervalSince1970: 7_258_118_400)  // 2200-01-01
        while let next = zone.nextDaylightSavingTimeTransition(after: cursor), next < end {
            starts.append(Int64(next.timeIntervalSince1970))
            offsets.append(Int64(zone.secondsFromGMT(for: next)))
            cursor = next
        }
        self.starts = starts
        self.offsets = offsets
    }

    /// Europe/Copenhagen.
    public static let copenhagen = LocalTime(zone: TimeZone(identifier: "Europe/Copenhagen")!)

    /// The UTC offset in seconds at an instant (seconds since the epoch).
    func offset(atSeconds seconds: Int64) -> Int64 {
        var low = 0
        var high = starts.count - 1
        while low < high {  // the last start <= seconds
            let middle = (low + high + 1) / 2
            if starts[middle] <= seconds { low = middle } else { high = middle - 1 }
        }
        return offsets[low]
    }

    /// The local date at an instant.
    public func date(atMillis millis: Int64) -> LocalDate {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let local = seconds + offset(atSeconds: seconds)
        return LocalDate(dayNumber: Int(local >= 0 ? local / 86_400 : (local - 86_399) / 86_400))
    }

    /// The instant of `hour:minute` local time on `date`.
    public func millis(on date: LocalDate, hour: Int, minute: Int = 0) -> Int64 {
        let localSeconds = Int64(date.dayNumber) * 86_400 + Int64(hour * 3600 + minute * 60)
        var offset = offset(atSeconds: localSeconds)
        offset = self.offset(atSeconds: localSeconds - offset)
        return (localSeconds - offset) * 1000
    }
}

extension Int64 {
    /// Milliseconds since the epoch as ISO 8601 in UTC, to the second: `2026-11-23T07:00:00Z`.
    public var iso8601: String {
        let seconds = self >= 0 ? self / 1000 : (self - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let rest = Int(seconds - days * 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(LocalDate(dayNumber: Int(days)))T\(two(rest / 3600)):\(two(rest / 60 % 60)):\(two(rest % 60))Z"
    }
}
