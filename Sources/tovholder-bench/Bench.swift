import ArgumentParser
import Foundation
import TovholderCore
import TovholderHarness

/// `tovholder-bench`: drives the real tovholderd and tovholderctl over the real socket and store on generated
/// case histories and prints one machine-readable line per figure (see docs/PERFORMANCE.md).
@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tovholder-bench", abstract: "Measure Tovholder's speed and memory against its targets.")

    @Option(help: "Citizens: 10k, 100k or 1M (or a number).") var scale: String = "10k"
    @Option(name: .customLong("bin-dir"), help: "Where tovholderd and tovholderctl are (a release build).") var binDir: String = ".build/release"
    @Option(name: .customLong("work-dir"), help: "Scratch directory (default: /tmp/tovholder-bench-SCALE).") var workDir: String?
    @Option(help: "Seconds of each paced load.") var seconds: Double = 10
    @Option(help: "Isolated probe timers for the lateness figures, one per working day (fewer only for a smoke run).")
    var probes: Int = 250
    @Option(help: "Which figures: all, main (import, memory, restart, ingestion, latencies) or timers (burst, lateness).")
    var figures: Figures = .all

    enum Figures: String, ExpressibleByArgument { case all, main, timers }

    var citizens: Int {
        switch scale.lowercased() {
        case "10k": 10_000
        case "100k": 100_000
        case "1m": 1_000_000
        default: Int(scale) ?? 10_000
        }
    }

    func validate() throws {
        guard citizens >= 1000 else { throw ValidationError("--scale must be 10k, 100k, 1M or a number of at least 1000") }
        guard (1...1000).contains(probes) else { throw ValidationError("--probes must be between 1 and 1000") }
        guard seconds > 0 else { throw ValidationError("--seconds must be more than 0") }
    }

    func run() throws {
        let bins = URL(fileURLWithPath: binDir).standardizedFileURL
        let work = URL(fileURLWithPath: workDir ?? "/tmp/tovholder-bench-\(scale.lowercased())")
        try? FileManager.default.removeItem(at: work)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let report = Report(scale: citizens)
        report.note("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(ProcessInfo.processInfo.physicalMemory >> 30) GiB; work dir \(work.path)")
        // The disk's own sync latency, on the idle machine, before any load: 100 syncs per second of `--seconds`.
        let syncs = try DiskProbe.syncLatencies(in: work, count: min(1000, max(100, Int(seconds * 100))))
        report.figure("disk_fdatasync_p50_ms", syncs.percentile(50) / 1000, "ms")
        report.figure("disk_fdatasync_p99_ms", syncs.percentile(99) / 1000, "ms")

        if figures != .timers {
            let main = try Stage(work: work.appendingPathComponent("main"), bins: bins, simulated: false, rulebook: nil)
            try MainFigures(stage: main, citizens: citizens, seconds: seconds, report: report).run()
        }
        if figures != .main {
            let timers = try Stage(work: work.appendingPathComponent("timers"), bins: bins, simulated: true, rulebook: Stage.probeRulebook)
            try TimerFigures(stage: timers, burst: min(citizens, 100_000), probes: probes, report: report).run()
        }
        report.summary()
    }
}

/// Prints `tovholder-bench figure=… scale=… value=… unit=… target=… pass=…` lines.
final class Report {
    let scale: Int
    private var lines: [String] = []

    init(scale: Int) { self.scale = scale }

    func note(_ text: String) {
        FileHandle.standardOutput.write(Data("# \(text)\n".utf8))
    }

    /// `comparison` is "<=" or ">="; a nil target is informational.
    func figure(_ name: String, _ value: Double, _ unit: String, _ comparison: String? = nil, _ target: Double? = nil) {
        var line = "tovholder-bench figure=\(name) scale=\(scale) value=\(String(format: "%.3f", value)) unit=\(unit)"
        if let comparison, let target {
            let pass = comparison == "<=" ? value <= target : value >= target
            line += " target=\(comparison)\(String(format: "%g", target)) pass=\(pass ? "yes" : "no")"
        }
        lines.append(line)
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// The daemon's processor time per operation, in microseconds: `cpu` seconds over `operations`. Steady
    /// where latencies are not, so it shows a regression at 10k without the long runs.
    func cost(_ name: String, cpu: Double, operations: Int) {
        guard operations > 0 else { return }
        figure(name, cpu * 1_000_000 / Double(operations), "us")
    }

    func summary() {
        let failed = lines.filter { $0.hasSuffix("pass=no") }.count
        let checked = lines.filter { $0.contains(" pass=") }.count
        note("\(checked - failed) of \(checked) targets met at \(scale) citizens")
    }
}
