import Foundation
import TovholderCore
import TovholderHarness

/// Import, memory, restart, ingestion, acknowledgement latency and query latency, on the real rulebook.
struct MainFigures {
    let stage: Stage
    let citizens: Int
    let seconds: Double
    let report: Report

    func run() throws {
        let today = LocalTime.copenhagen.date(atMillis: Int64(Date().timeIntervalSince1970 * 1000))
        var data = DataSet(count: citizens, today: today)
        let csv = stage.work.appendingPathComponent("export.csv").path
        let generated = Date()
        try data.write(to: csv)
        report.note("generated \(citizens) citizens with \(data.events) events in \(String(format: "%.1f", Date().timeIntervalSince(generated))) s")

        try stage.start()
        let importCPU = stage.cpu
        let importStart = Date()
        let (status, output) = try stage.ctl(["import", csv, "--batch-size", "2000", "--json"])
        let importSeconds = Date().timeIntervalSince(importStart)
        guard status == 0 else { throw HarnessError("import failed (\(status)): \(output)") }
        report.figure("import_seconds", importSeconds, "s", "<=", 60 * Double(citizens) / 1_000_000)
        report.figure("import_citizens_per_second", Double(citizens) / importSeconds, "citizens/s")
        report.figure("import_events_per_second", Double(data.events) / importSeconds, "events/s")
        report.cost("import_cpu_us_per_citizen", cpu: stage.cpu - importCPU, operations: citizens)
        // Part of import_seconds: the deadline indexes the first load built at its end (Store+FirstLoad).
        // The totals come first, as an indented object ending in a line "}".
        let totals = output.range(of: "\n}").flatMap {
            try? JSONSerialization.jsonObject(with: Data(output[..<$0.upperBound].utf8)) as? [String: Any]
        }
        if let built = totals?["indexSeconds"] as? Double { report.figure("import_index_build_seconds", built, "s") }
        let loaded = try stage.status()
        let deadlines = (loaded["deadlines"] as? [String: Int] ?? [:]).values.reduce(0, +)
        let armed = ((loaded["deadlines"] as? [String: Int])?["pending"] ?? 0) + ((loaded["deadlines"] as? [String: Int])?["overdue"] ?? 0)
        report.note("store: \(loaded["citizens"] ?? 0) citizens, \(loaded["events"] ?? 0) events, \(deadlines) deadlines (\(armed) open)")
        report.figure("rss_after_import_mib", Double(stage.daemon!.memory.peak) / 1_048_576, "MiB", "<=", 1024)
        try drainCatchUp()

        // Restart: process start to READY=1, three times.
        var restarts: [Double] = []
        for _ in 0..<3 {
            stage.stop()
            restarts.append(try stage.start())
        }
        report.figure("restart_to_ready_seconds", restarts.sorted()[1], "s", "<=", 1)
        // After the restarts the checkpoints have copied the log into the database file.
        report.figure("store_bytes_per_citizen", Double(stage.storeBytes) / Double(citizens), "bytes")
        _ = try stage.status()
        report.figure("rss_loaded_mib", Double(stage.daemon!.memory.resident) / 1_048_576, "MiB", "<=", 1024)
        report.figure("rss_loaded_bytes_per_citizen", Double(stage.daemon!.memory.resident) / Double(citizens), "bytes")

        // The latency loads come first and the throughput load last: right after a load at full speed the
        // background checkpoints are still writing its pages all over the database file, and a latency
        // measured then is that of the disk catching up (at 1M, p99 8.2 ms right after an ingestion load
        // and 4.8-5.0 ms ten seconds later, measured with the same clients in Python).
        let open = data.open
        // Single events at 1,000/s: four clients at 250/s each, each sending one event and waiting for its
        // acknowledgement (one client cannot reach 1,000/s once an fsync takes about a millisecond).
        var cpu = stage.cpu
        var machine = try MachineTime.now()
        let single = try Load.paced(socket: stage.socket, clients: 4, rate: 1000, seconds: seconds) { c, i in
            #"{"v":1,"op":"event.record","params":{"citizen":"\#(open[(i * 7919 + c * 104_729) % open.count])","kind":"conversation-held","date":"\#(today)"}}"#
        }
        report.figure("ack_latency_p50_ms", single.latencies.percentile(50) / 1000, "ms")
        report.figure("ack_latency_p99_ms", single.latencies.percentile(99) / 1000, "ms", "<=", 5)
        report.figure("ack_rate_reached", single.achieved, "events/s")
        report.cost("ack_cpu_us_per_event", cpu: stage.cpu - cpu, operations: single.latencies.samples.count)
        try report.steal("ack", since: machine)
        // The daemon's own account of the same load (its status covers the last one to two minutes, and it
        // was started afresh before it): how long a commit with its sync took, and a change from its
        // arrival at the writer to its commit, which the latency above adds the socket and the loops to.
        let writes = try stage.status()["writes"] as? [String: Int] ?? [:]
        for (figure, field) in [("ack_daemon_commit_p99_ms", "commitP99Us"), ("ack_daemon_answer_p99_ms", "answerP99Us")] {
            guard let micros = writes[field] else { throw HarnessError("status has no writes.\(field): \(writes)") }
            report.figure(figure, Double(micros) / 1000, "ms")
        }

        // status and citizen show at 5,000 requests/s from 16 clients.
        let count = citizens
        cpu = stage.cpu
        machine = try MachineTime.now()
        let queries = try Load.paced(socket: stage.socket, clients: 16, rate: 5000, seconds: seconds) { c, i in
            (i + c) % 2 == 0 ? #"{"v":1,"op":"status"}"#
                : #"{"v":1,"op":"citizen.show","params":{"id":"\#(DataSet.id((i * 104_729 + c) % count))"}}"#
        }
        report.figure("query_latency_p50_ms", queries.latencies.percentile(50) / 1000, "ms")
        report.figure("query_latency_p99_ms", queries.latencies.percentile(99) / 1000, "ms", "<=", 1)
        report.figure("query_rate_reached", queries.achieved, "requests/s", ">=", 4750)
        report.cost("query_cpu_us_per_request", cpu: stage.cpu - cpu, operations: queries.latencies.samples.count)
        try report.steal("query", since: machine)

        // Sustained durable ingestion.
        cpu = stage.cpu
        machine = try MachineTime.now()
        let ingest = try Load.ingest(socket: stage.socket, citizens: open, date: today.description, seconds: seconds)
        report.figure("ingest_events_per_second", ingest.rate, "events/s", ">=", 50_000)
        report.cost("ingest_cpu_us_per_event", cpu: stage.cpu - cpu, operations: ingest.acknowledged)
        try report.steal("ingest", since: machine)
        if ingest.failed > 0 { report.note("ingestion: \(ingest.failed) requests refused") }
        report.figure("rss_after_load_mib", Double(stage.daemon!.memory.peak) / 1_048_576, "MiB", "<=", 1024)
        stage.stop()
    }

    /// Waits until the import's catch-up notices (the latest missed stage of every overdue deadline of
    /// five years of histories) are delivered, and reports how fast the backlog went out. The loads after
    /// this measure a daemon in its steady state, not one also delivering hundreds of thousands of notices.
    func drainCatchUp() throws {
        let cpu = stage.cpu
        let (backlog, seconds) = try stage.drainOutbox()
        report.note("\(backlog) catch-up notices waited for delivery after the import; delivered in \(String(format: "%.1f", seconds)) s")
        if backlog >= 1000 {
            report.figure("catchup_delivered_per_second", Double(backlog) / seconds, "notices/s")
            report.cost("catchup_cpu_us_per_notice", cpu: stage.cpu - cpu, operations: backlog)
        }
    }
}
