import Foundation
import Testing
import TovholderHarness

/// The benchmark's smoke mode: `tovholder-bench` at 10k citizens with one-second loads and ten probe
/// timers, on this build's binaries, prints every figure of the national-scale issue with a value. Its
/// targets are not checked here (a debug build on a shared machine says nothing about them; see
/// docs/PERFORMANCE.md): this keeps the benchmark itself from breaking unnoticed.
struct BenchSmokeTests {
    static let figures = [
        "disk_fdatasync_p50_ms", "disk_fdatasync_p99_ms",
        "import_seconds", "import_citizens_per_second", "import_events_per_second", "import_cpu_us_per_citizen",
        "import_index_build_seconds",
        "rss_after_import_mib", "catchup_delivered_per_second", "catchup_cpu_us_per_notice",
        "restart_to_ready_seconds", "store_bytes_per_citizen", "rss_loaded_mib", "rss_loaded_bytes_per_citizen",
        "ack_latency_p50_ms", "ack_latency_p99_ms", "ack_rate_reached", "ack_cpu_us_per_event", "ack_cpu_steal_pct",
        "ack_daemon_commit_p99_ms", "ack_daemon_answer_p99_ms",
        "query_latency_p50_ms", "query_latency_p99_ms", "query_rate_reached", "query_cpu_us_per_request",
        "query_cpu_steal_pct", "ingest_events_per_second", "ingest_cpu_us_per_event", "ingest_cpu_steal_pct",
        "rss_after_load_mib", "burst_5000_queued_seconds", "burst_cpu_us_per_timer", "burst_cpu_steal_pct",
        "timer_lateness_p50_ms", "timer_lateness_p99_ms", "lateness_cpu_steal_pct",
    ]

    /// Runs `tovholder-bench` with `arguments` on this build's binaries; its exit status and output.
    static func bench(_ arguments: [String]) throws -> (status: Int32, output: String, work: URL) {
        let work = scratchRoot.appendingPathComponent("bench-\(UUID().uuidString.prefix(8))")
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("tovholder-bench")
        process.arguments = arguments + ["--bin-dir", binaries.path, "--work-dir", work.path]
        // The main stage reads the shipped rulebook from the repository, as `make bench` does.
        process.currentDirectoryURL = repository
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output, work)
    }

    /// The figure lines of the output, each with its fields (figure, scale, value, unit, target, pass).
    static func figureLines(_ output: String) -> [(line: Substring, fields: [Substring: Substring])] {
        output.split(separator: "\n").filter { $0.hasPrefix("tovholder-bench figure=") }.map { line in
            var fields: [Substring: Substring] = [:]
            for field in line.split(separator: " ").dropFirst() {
                guard let equals = field.firstIndex(of: "=") else { continue }
                fields[field[..<equals]] = field[field.index(after: equals)...]
            }
            return (line, fields)
        }
    }

    @Test func theBenchmarkDrivesTheRealDaemonAndPrintsEveryFigure() throws {
        // A burst of half the citizens: the timers' store holds the other half too, as at a million.
        let (status, output, work) = try Self.bench(["--scale", "10k", "--burst", "5000", "--seconds", "1", "--probes", "10"])
        #expect(status == 0, "\(output)")

        // name → (value, unit, the target's verdict if it has one)
        var printed: [String: (value: Double, unit: Substring, pass: Substring?)] = [:]
        for (line, fields) in Self.figureLines(output) {
            let name = String(fields["figure"] ?? "")
            #expect(printed[name] == nil, "\(name) printed twice")
            #expect(fields["scale"] == "10000", "\(line)")
            let value = Double(fields["value"] ?? "") ?? .nan
            #expect(value.isFinite && value >= 0, "\(line)")
            #expect(fields["pass"] == nil || fields["pass"] == "yes" || fields["pass"] == "no", "\(line)")
            printed[name] = (value, fields["unit"] ?? "", fields["pass"])
        }
        #expect(Set(printed.keys) == Set(Self.figures), "\(output)")
        // Each of the targets is printed with its verdict.
        for name in ["rss_loaded_mib", "restart_to_ready_seconds", "ingest_events_per_second", "ack_latency_p99_ms",
                     "burst_5000_queued_seconds", "timer_lateness_p99_ms", "query_latency_p99_ms", "import_seconds"] {
            #expect(printed[name]?.pass != nil, "\(name) has no target")
        }
        // Counts that cannot be wrong on any machine: the store holds the data and the loads ran at all.
        #expect((printed["store_bytes_per_citizen"]?.value ?? 0) > 1000)
        #expect((printed["ack_rate_reached"]?.value ?? 0) > 0 && (printed["query_rate_reached"]?.value ?? 0) > 0)
        #expect(output.contains("targets met at 10000 citizens"))
        #expect(output.contains("timers: 5000 other citizens imported"), "\(output)")
        // The disk probe's percentiles are in order, and its scratch file is gone.
        #expect((printed["disk_fdatasync_p99_ms"]?.value ?? -1) >= (printed["disk_fdatasync_p50_ms"]?.value ?? 0))
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("fdatasync-probe.bin").path))
        // The daemon timed the acknowledgement load's commits and answers (nothing else was written then).
        #expect((printed["ack_daemon_commit_p99_ms"]?.value ?? 0) > 0)
        #expect((printed["ack_daemon_answer_p99_ms"]?.value ?? 0) > 0)
        // Each load's share of stolen processor time is a share.
        for (name, figure) in printed where name.hasSuffix("_cpu_steal_pct") {
            #expect(figure.value <= 100 && figure.unit == "%", "\(name): \(figure.value) \(figure.unit)")
        }
    }

    /// At several scales the benchmark measures each in turn and then reports how every figure grows: the
    /// exponent of figure ∝ citizens^k between the smallest and the largest scale, of the total for a
    /// figure per citizen, each against the target of at most linear growth.
    @Test func atSeveralScalesTheBenchmarkReportsHowEachFigureGrows() throws {
        let (status, output, _) = try Self.bench(["--scale", "2000,1000", "--seconds", "0.5", "--figures", "main"])
        #expect(status == 0, "\(output)")
        // Each scale is measured, smallest first.
        let met = output.split(separator: "\n").filter { $0.contains("targets met at") }
        #expect(met.count == 2 && met[0].hasSuffix("at 1000 citizens") && met[1].hasSuffix("at 2000 citizens"), "\(output)")
        var values: [Int: [String: Double]] = [:]
        var growth: [String: (k: Double, pass: Substring?)] = [:]
        for (line, fields) in Self.figureLines(output) {
            let name = String(fields["figure"] ?? "")
            let value = Double(fields["value"] ?? "") ?? .nan
            if name.hasPrefix("growth_") {
                #expect(fields["scale"] == "1000-2000" && fields["unit"] == "exponent" && fields["target"] == "<=1", "\(line)")
                growth[String(name.dropFirst("growth_".count))] = (value, fields["pass"])
            } else if let scale = Int(fields["scale"] ?? "") {
                values[scale, default: [:]][name] = value
            }
        }
        // Every figure that describes Tovholder, not the machine or the load, has its growth.
        for name in ["import_seconds", "import_cpu_us", "store_bytes", "rss_loaded_mib", "restart_to_ready_seconds",
                     "ack_latency_p99_ms", "query_cpu_us_per_request", "ingest_cpu_us_per_event"] {
            #expect(growth[name] != nil, "no growth for \(name): \(output)")
        }
        for name in growth.keys {
            #expect(!name.hasPrefix("disk_") && !name.hasSuffix("_steal_pct") && !name.hasSuffix("_per_second"), "\(name)")
        }
        // The exponents are those of the figures printed at each scale, to two decimals.
        func expected(_ name: String, perCitizen: Bool) -> Double? {
            guard let small = values[1000]?[name], let large = values[2000]?[name] else { return nil }
            let ratio = perCitizen ? 2 * large / small : large / small
            return (log(ratio) / log(2) * 100).rounded() / 100
        }
        for (name, perCitizen) in [("import_seconds", false), ("rss_loaded_mib", false), ("store_bytes_per_citizen", true)] {
            let total = perCitizen ? String(name.dropLast("_per_citizen".count)) : name
            guard let k = growth[total]?.k, let want = expected(name, perCitizen: perCitizen) else { continue }
            // The printed figures are rounded to three decimals; the exponent is from the exact ones.
            #expect(abs(k - want) <= 0.011, "\(total): \(k), from the figures \(want)")
            #expect(growth[total]?.pass == (k <= 1 ? "yes" : "no"))
        }
        // What cannot be wrong on any machine: the store's bytes grow with the citizens, about linearly,
        // and the memory of a loaded daemon does not (it holds no citizen in memory).
        #expect(abs((growth["store_bytes"]?.k ?? 0) - 1) < 0.1, "\(output)")
        #expect((growth["rss_loaded_mib"]?.k ?? 1) < 0.5, "\(output)")
        #expect(output.contains("targets met for growth from 1000 to 2000 citizens"))
        // The loaded memory per citizen, as a total, is the loaded memory: it is not reported twice.
        #expect(growth["rss_loaded_bytes"] == nil, "\(output)")
    }

    /// A figure measured at only some of the scales grows over those: a burst capped below the largest
    /// scales has one name there (as the burst of 100,000 at 100k and 1M), and another at the smallest.
    @Test func aFigureMeasuredAtSomeScalesOnlyGrowsOverThose() throws {
        let (status, output, _) = try Self.bench([
            "--scale", "1000,2000,3000", "--burst", "1500", "--figures", "timers", "--seconds", "0.5", "--probes", "5",
        ])
        #expect(status == 0, "\(output)")
        var spans: [String: Substring] = [:]
        for (_, fields) in Self.figureLines(output) where fields["figure"]?.hasPrefix("growth_") == true {
            spans[String(fields["figure"]!.dropFirst("growth_".count))] = fields["scale"]
        }
        #expect(spans["burst_1500_queued_seconds"] == "2000-3000", "\(output)")
        #expect(spans["burst_cpu_us_per_timer"] == "1000-3000", "\(output)")
        #expect(spans["burst_1000_queued_seconds"] == nil, "\(output)")
        #expect(output.contains("measured at one scale only, so not compared: burst_1000_queued_seconds"), "\(output)")
        // At 3,000 the burst's 1,500 share the timers' store with the other 1,500.
        #expect(output.contains("timers: 1500 other citizens imported"), "\(output)")
    }
}
