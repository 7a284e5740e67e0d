import Foundation
import TovholderHarness

/// The machine's processor time as the kernel counts it (the `cpu` line of `/proc/stat`), for the share of
/// it that the hypervisor took: "steal", time a virtual processor had work but was not running. On this
/// benchmark's VM a busy loop loses almost none, but a load of frequent short waits (every request wakes a
/// few threads, each wake-up a halted virtual processor the host must schedule again) loses a third of the
/// machine's time, and a latency measured then includes those waits. Printed beside each load's figures, as
/// the disk probe is beside the acknowledgements, so that runs can be compared.
struct MachineTime {
    /// user, nice, system, idle, iowait, irq, softirq, steal (guest time is already inside user and nice).
    let ticks: [UInt64]

    static func now() throws -> MachineTime {
        let text = try String(contentsOfFile: "/proc/stat", encoding: .utf8)
        guard let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else {
            throw HarnessError("/proc/stat has no cpu line")
        }
        let ticks = line.split(separator: " ").dropFirst().prefix(8).compactMap { UInt64($0) }
        guard ticks.count == 8 else { throw HarnessError("/proc/stat's cpu line has no steal field: \(line)") }
        return MachineTime(ticks: ticks)
    }

    /// Percent of all processor time since `start` that was stolen (0 when no time passed).
    func stealPercent(since start: MachineTime) -> Double {
        let delta = zip(ticks, start.ticks).map { $0 &- $1 }
        let total = delta.reduce(0, +)
        return total == 0 ? 0 : Double(delta[7]) * 100 / Double(total)
    }
}

extension Report {
    /// `<load>_cpu_steal_pct`: the share of the machine's processor time the hypervisor took during a load.
    func steal(_ load: String, since start: MachineTime) throws {
        figure("\(load)_cpu_steal_pct", try MachineTime.now().stealPercent(since: start), "%")
    }
}
