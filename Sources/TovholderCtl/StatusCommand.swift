import ArgumentParser
import Foundation
import TovholderCore
import TovholderProtocol

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show the daemon's version, uptime, counts, next firing and outbox depth.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try perform { () throws(CtlError) in
            let status = try global.client().call(.status, Empty(), as: StatusView.self)
            if global.json { return Output.printJSON(status) }
            let statuses = ["pending", "overdue", "met", "met-late", "waived", "suspended"]
            print("""
                tovholderd \(status.version), up \(status.uptimeSeconds)s (since \(Output.shortTime(status.startedAt)))
                today:        \(status.today)
                rulebook:     \(status.rulebook)
                citizens:     \(status.citizens)
                events:       \(status.events)
                deadlines:    \(statuses.map { "\(status.deadlines[$0] ?? 0) \($0)" }.joined(separator: ", "))
                next firing:  \(status.nextFiring.map(Output.shortTime) ?? "none armed")
                outbox:       \(status.outbox["pending"] ?? 0) pending, \(status.outbox["delivered"] ?? 0) delivered, \(status.outbox["failed"] ?? 0) failed
                """)
            if let timers = status.timers {
                let lateness = [("p50", timers.latenessP50Ms), ("p99", timers.latenessP99Ms), ("max", timers.latenessMaxMs)]
                    .compactMap { name, ms in ms.map { "\(name) \($0) ms" } }
                let caughtUp = timers.caughtUp.map { $0 > 0 ? " (\($0) caught up)" : "" } ?? ""
                print("timers:       \(timers.fired) fired\(caughtUp), \(timers.queued) notices queued since start"
                    + (lateness.isEmpty ? "" : "; lateness \(lateness.joined(separator: ", ")) (last 10,000)"))
            }
            if let writes = status.writes {
                print("""
                    writes:       \(writes.commits) commits, \(writes.changes) changes since start\(Self.redone(writes.redone))
                    commit time:  \(Self.latencies(writes.commitP50Us, writes.commitP99Us, writes.commitMaxUs))
                    answer time:  \(Self.latencies(writes.answerP50Us, writes.answerP99Us, writes.answerMaxUs))
                    """)
            }
        }
    }

    /// How many batches were applied again because a change in them was refused, when any were.
    static func redone(_ count: Int?) -> String {
        guard let count, count > 0 else { return "" }
        return "; \(count) batch\(count == 1 ? "" : "es") applied again after a refused change"
    }

    /// "p50 0.4 ms, p99 3.1 ms, max 12.0 ms (last 1–2 min)" from microseconds.
    static func latencies(_ p50: Int64?, _ p99: Int64?, _ max: Int64?) -> String {
        guard let p50, let p99, let max else { return "none in the last 1–2 min" }
        func ms(_ micros: Int64) -> String { String(format: "%.1f ms", Double(micros) / 1000) }
        return "p50 \(ms(p50)), p99 \(ms(p99)), max \(ms(max)) (last 1–2 min)"
    }
}
