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

    @Option(help: "Citizens: 10k, 100k or 1M (or a number); several, comma-separated (10k,100k,1M), to measure at each in turn and report how every figure grows with the number of citizens.")
    var scale: String = "10k"
    @Option(name: .customLong("bin-dir"), help: "Where tovholderd and tovholderctl are (a release build).") var binDir: String = ".build/release"
    @Option(name: .customLong("work-dir"), help: "Scratch directory (default: /tmp/tovholder-bench-SCALE).") var workDir: String?
    @Option(help: "Seconds of each paced load.") var seconds: Double = 10
    @Option(help: "Isolated probe timers for the lateness figures, one per working day (fewer only for a smoke run).")
    var probes: Int = 250
    @Option(help: "Deadlines due at the same instant (default: every citizen, at most 100,000); the store holds the rest of the citizens too. Fewer only for a smoke run.")
    var burst: Int?
    @Option(help: "Which figures: all, main (import, memory, restart, ingestion, latencies) or timers (burst, lateness).")
    var figures: Figures = .all

    enum Figures: String, ExpressibleByArgument { case all, main, timers }

    /// The scales asked for, smallest first.
    var scales: [(name: String, citizens: Int)] {
        scale.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            let citizens = switch name {
            case "10k": 10_000
            case "100k": 100_000
            case "1m": 1_000_000
            default: Int(name) ?? 0
            }
            return (name, citizens)
        }.sorted { $0.citizens < $1.citizens }
    }

    func validate() throws {
        guard !scales.isEmpty, scales.allSatisfy({ $0.citizens >= 1000 }) else {
            throw ValidationError("--scale must be 10k, 100k, 1M or a number of at least 1000, or several of them comma-separated")
        }
        guard Set(scales.map(\.citizens)).count == scales.count else { throw ValidationError("--scale names a scale twice") }
        guard (1...1000).contains(probes) else { throw ValidationError("--probes must be between 1 and 1000") }
        guard seconds > 0 else { throw ValidationError("--seconds must be more than 0") }
        guard burst.map({ $0 >= 100 }) ?? true else { throw ValidationError("--burst must be at least 100") }
    }

    func run() throws {
        let reports = try scales.map { try measure($0.name, citizens: $0.citizens) }
        if reports.count > 1 { Growth(reports: reports).report() }
    }

    /// Every figure at one scale.
    func measure(_ name: String, citizens: Int) throws -> Report {
        let bins = URL(fileURLWithPath: binDir).standardizedFileURL
        let work = URL(fileURLWithPath: scales.count > 1 && workDir != nil
            ? "\(workDir!)/\(name)" : workDir ?? "/tmp/tovholder-bench-\(name)")
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
            // A stage that fails (an import refused, a daemon that stops answering) leaves no daemon behind.
            defer { main.stop() }
            try MainFigures(stage: main, citizens: citizens, seconds: seconds, report: report).run()
        }
        if figures != .main {
            let timers = try Stage(work: work.appendingPathComponent("timers"), bins: bins, simulated: true, rulebook: Stage.probeRulebook)
            defer { timers.stop() }
            try TimerFigures(stage: timers, citizens: citizens, burst: min(citizens, burst ?? 100_000), probes: probes, report: report).run()
        }
        report.summary()
        return report
    }
}

/// Prints `tovholder-bench figure=… scale=… value=… unit=… target=… pass=…` lines.
final class Report {
    let scale: Int
    private var lines: [String] = []
    /// Every figure's value and unit, for the growth across scales.
    private(set) var values: [String: (value: Double, unit: String)] = [:]

    init(scale: Int) { self.scale = scale }

    func note(_ text: String) {
        FileHandle.standardOutput.write(Data("# \(text)\n".utf8))
    }

    /// `comparison` is "<=" or ">="; a nil target is informational.
    /// `scale` names the scale in the line when it is not this report's (a growth spans two); `decimals`
    /// is how many the value is printed with.
    func figure(
        _ name: String, _ value: Double, _ unit: String, _ comparison: String? = nil, _ target: Double? = nil, scale: String? = nil,
        decimals: Int = 3
    ) {
        values[name] = (value, unit)
        var line = "tovholder-bench figure=\(name) scale=\(scale ?? String(self.scale)) value=\(String(format: "%.\(decimals)f", value)) unit=\(unit)"
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

    func summary(_ what: String? = nil) {
        let failed = lines.filter { $0.hasSuffix("pass=no") }.count
        let checked = lines.filter { $0.contains(" pass=") }.count
        note("\(checked - failed) of \(checked) targets met \(what ?? "at \(scale) citizens")")
    }
}
