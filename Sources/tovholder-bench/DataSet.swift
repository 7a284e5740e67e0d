import Foundation
import TovholderCore

/// Generated case histories in the shape of a case system's export (one CSV row per event): takeovers
/// spread over five years, contracts, Danish education, offers that start and end, follow-up
/// conversations, health assessments, and some citizens who moved away. Deterministic for a seed.
struct DataSet {
    let count: Int
    let today: LocalDate
    /// The index of the first citizen: ids run from `id(first)` (another set's citizens come before).
    let first: Int
    /// Citizens whose case is still open (events may be recorded for them).
    var open: [String] = []
    var events = 0

    static let caseworkers = (0..<100).map { String(format: "cw-%02d", $0) }

    init(count: Int, today: LocalDate, first: Int = 0) {
        self.count = count
        self.today = today
        self.first = first
    }

    static func id(_ index: Int) -> String { String(format: "B-%07d", index) }

    /// Writes the CSV and records which citizens stay open.
    mutating func write(to path: String, seed: UInt64 = 2026) throws {
        var random = SplitMix(seed: seed)
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var out = "citizen,caseworker,takeover,visitation,track,household,event,date,offer\n"
        for index in first..<(first + count) {
            let id = Self.id(index)
            let takeover = today.adding(days: -Int(random.next() % 1825) - 1)
            let visitation: LocalDate? = random.chance(0.8) ? takeover.adding(days: 1 + Int(random.next() % 10)) : nil
            let track = random.chance(0.5) ? "job-ready" : "activity-ready"
            let head = "\(id),\(Self.caseworkers[index % 100]),\(takeover),\(visitation?.description ?? ""),\(track),"
            var history: [(LocalDate, String, String)] = []
            func add(_ date: LocalDate, _ kind: String, _ offer: String = "") { if date <= today { history.append((date, kind, offer)) } }
            if random.chance(0.9) { add(takeover.adding(days: 3 + Int(random.next() % 40)), "contract-signed") }
            if random.chance(0.9) { add(takeover.adding(days: 2 + Int(random.next() % 35)), "danish-education-referred") }
            if random.chance(0.7) { add(takeover.adding(days: 30 + Int(random.next() % 170)), "health-assessment-offered") }
            if let visitation {
                for n in 0..<Int(random.next() % 6) { add(visitation.adding(days: 10 + 35 * n + Int(random.next() % 20)), "conversation-held") }
            }
            var cursor = takeover.adding(days: 5 + Int(random.next() % 55))
            for _ in 0..<Int(random.next() % 5) where cursor <= today {
                let offer = random.chance(0.6) ? "praktik" : "loentilskud"
                add(cursor, "offer-started", offer)
                let end = cursor.adding(days: 20 + Int(random.next() % 100))
                if end > today { break }
                add(end, "offer-ended", offer)
                cursor = end.adding(days: 5 + Int(random.next() % 70))
            }
            history.sort { $0.0 < $1.0 }
            var closed = false
            if random.chance(0.05), let last = history.last?.0 ?? Optional(takeover), last < today {
                history.append((min(today, last.adding(days: 1 + Int(random.next() % 30))), "moved-away", ""))
                closed = true
            }
            if !closed { open.append(id) }
            if history.isEmpty { out += head + ",,,\n" }
            for (date, kind, offer) in history { out += head + ",\(kind),\(date),\(offer)\n" }
            events += history.count
            if out.utf8.count > 1 << 20 {
                handle.write(Data(out.utf8))
                out = ""
            }
        }
        handle.write(Data(out.utf8))
    }
}

/// A small, fast, seedable generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) < p * 1_000_000 }
}
