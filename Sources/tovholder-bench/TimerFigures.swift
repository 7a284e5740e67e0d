import Foundation
import TovholderCore
import TovholderHarness

/// A burst of deadlines due at the same instant, and the lateness of isolated timers under load, on a
/// daemon with a simulated clock and a one-stage rulebook (every deadline is one timer). The store holds
/// `citizens` in all: when there are more than the burst (at 1M, a burst of 100,000), its citizens share
/// it with the generated case histories of the rest, so that the burst at a million is measured among a
/// million citizens' timers.
struct TimerFigures {
    let stage: Stage
    let citizens: Int
    let burst: Int
    /// Isolated probe timers, one per working day: 250, so that p99 is the third-worst of them.
    let probes: Int
    let report: Report
    let time = LocalTime.copenhagen

    func run() throws {
        let today = time.date(atMillis: Int64(Date().timeIntervalSince1970 * 1000))
        // A Monday at least 40 days ahead: every burst citizen's deadline is due then, 08:00.
        var monday = today.adding(days: 40)
        while monday.weekday != 1 || DanishCalendar().isClosed(monday) { monday = monday.adding(days: 1) }
        let takeover = monday.adding(months: -1)
        guard takeover.adding(months: 1) == monday else { throw HarnessError("no takeover date for \(monday)") }
        let csv = stage.work.appendingPathComponent("burst.csv").path
        var rows = "citizen,caseworker,takeover\n"
        for index in 0..<burst { rows += "\(DataSet.id(index)),\(DataSet.caseworkers[index % 100]),\(takeover)\n" }
        try rows.write(toFile: csv, atomically: true, encoding: .utf8)
        try stage.start()
        let instant = time.millis(on: monday, hour: 8)
        let others = citizens - burst
        if others > 0 {
            var data = DataSet(count: others, today: today, first: burst)
            let csv = stage.work.appendingPathComponent("others.csv").path
            try data.write(to: csv)
            let start = Date()
            let (status, output) = try stage.ctl(["import", csv, "--batch-size", "2000"])
            guard status == 0 else { throw HarnessError("import of the other citizens failed: \(output)") }
            report.note("timers: \(others) other citizens imported in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        }
        let (status, output) = try stage.ctl(["import", csv, "--batch-size", "5000"])
        guard status == 0 else { throw HarnessError("burst import failed: \(output)") }
        if others > 0 {
            // The other citizens' deadlines due before the burst (takeovers in the last month) fire at an hour
            // before it and are delivered, so that the burst's instant has the burst alone.
            _ = try stage.request(#"{"v":1,"op":"clock.set","params":{"nowMillis":\#(instant - 3_600_000)}}"#)
            let settled = Date()
            while try (stage.status()["nextFiring"] as? String).map({ $0 < instant.iso8601 }) ?? false {
                guard Date().timeIntervalSince(settled) < 600 else { throw HarnessError("timers before the burst did not fire") }
                usleep(100_000)
            }
            _ = try stage.drainOutbox()
        }
        let before = try stage.queuedNotices()
        if others > 0 { report.note("timers: \(before) notices of the other citizens queued and delivered before the burst") }

        // Move the clock to half a second before Monday 08:00 and wait for every notice to be queued.
        let lead = 0.5
        let cpu = stage.cpu
        let machine = try MachineTime.now()
        _ = try stage.request(#"{"v":1,"op":"clock.set","params":{"nowMillis":\#(instant - Int64(lead * 1000))}}"#)
        let due = Date().addingTimeInterval(lead)
        var queued = 0
        while Date() < due.addingTimeInterval(60) {
            queued = try stage.queuedNotices() - before
            if queued >= burst { break }
            usleep(2_000)
        }
        let burstSeconds = Date().timeIntervalSince(due)
        guard queued >= burst else { throw HarnessError("only \(queued) of \(burst) notices were queued") }
        report.figure("burst_\(burst)_queued_seconds", burstSeconds, "s", "<=", Double(burst) / 100_000)
        report.cost("burst_cpu_us_per_timer", cpu: stage.cpu - cpu, operations: burst)
        try report.steal("burst", since: machine)

        // Isolated timers under load: a fresh process (fresh lateness statistics), one probe deadline on each
        // of 250 working days after the burst (so that p99 is the third-worst, not the second-worst of a
        // hundred; a takeover more than a year ahead would be refused); the clock is moved to 100 ms
        // before each while events stream in.
        stage.stop()
        try stage.start()
        var probeDays: [LocalDate] = []
        var day = monday.adding(days: 1)
        while probeDays.count < probes {
            if !DanishCalendar().isClosed(day), day.adding(months: -1).adding(months: 1) == day { probeDays.append(day) }
            day = day.adding(days: 1)
        }
        _ = try stage.request(#"{"v":1,"op":"clock.set","params":{"nowMillis":\#(instant + 3_600_000)}}"#)
        var probes = "citizen,caseworker,takeover\n"
        for (index, probe) in probeDays.enumerated() { probes += "P-\(index),cw-00,\(probe.adding(months: -1))\n" }
        let probeCSV = stage.work.appendingPathComponent("probes.csv").path
        try probes.write(toFile: probeCSV, atomically: true, encoding: .utf8)
        guard try stage.ctl(["import", probeCSV]).0 == 0 else { throw HarnessError("probe import failed") }

        let loadDate = monday.description
        let burstCount = burst
        let socket = stage.socket
        let loadSeconds = 0.25 * Double(probeDays.count)
        let load = Thread {
            _ = try? Load.paced(socket: socket, clients: 4, rate: 2000, seconds: loadSeconds) { c, i in
                #"{"v":1,"op":"event.record","params":{"citizen":"\#(DataSet.id((i * 4 + c) % burstCount))","kind":"conversation-held","date":"\#(loadDate)"}}"#
            }
        }
        let loadStart = try MachineTime.now()
        load.start()
        for probe in probeDays {
            let at = time.millis(on: probe, hour: 8)
            _ = try stage.request(#"{"v":1,"op":"clock.set","params":{"nowMillis":\#(at - 100)}}"#)
            usleep(200_000)
        }
        // The last probe fires 100 ms after its clock move; on a busy machine, give it a little longer.
        var timers: [String: Any] = [:]
        var fired = 0
        for _ in 0..<100 {
            timers = try stage.status()["timers"] as? [String: Any] ?? [:]
            fired = timers["fired"] as? Int ?? 0
            if fired >= probeDays.count { break }
            usleep(100_000)
        }
        guard fired >= probeDays.count else { throw HarnessError("only \(fired) of \(probeDays.count) probe timers fired") }
        report.figure("timer_lateness_p50_ms", Double(timers["latenessP50Ms"] as? Int ?? -1), "ms")
        report.figure("timer_lateness_p99_ms", Double(timers["latenessP99Ms"] as? Int ?? -1), "ms", "<=", 10)
        try report.steal("lateness", since: loadStart)
        stage.stop()
    }
}
