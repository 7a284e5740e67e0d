import Foundation

/// How each figure grows with the number of citizens, from runs at several scales: the exponent k of
/// `figure ∝ citizens^k` between the smallest and the largest scale, which the last target wants
/// at most 1 (time and memory grow no faster than linearly). A figure per citizen (bytes, CPU) is turned
/// into its total first (the figure times the citizens), so that 1 means the total grows linearly. Rates
/// (their inverse is a CPU-per-operation figure), the disk probe and the steal are left out: they describe
/// the machine or the load, not how Tovholder scales. The exponent is given to two
/// decimals, and checked as given: two measurements do not fix it more closely (a store of exactly the
/// same bytes per citizen at 2,000 and 5,000 citizens came out 1.003 from its page rounding).
struct Growth {
    let reports: [Report]

    static func included(_ name: String) -> Bool {
        !(name.hasPrefix("disk_") || name.hasSuffix("_steal_pct") || name.hasSuffix("_per_second")
            || name.hasSuffix("_rate_reached") || name == "rss_loaded_bytes_per_citizen")
        // (the memory per citizen, as a total, is the loaded memory: `rss_loaded_mib` says it already)
    }

    /// The exponent of `value` from `small` to `large` citizens.
    static func exponent(_ small: (citizens: Int, value: Double), _ large: (citizens: Int, value: Double)) -> Double? {
        guard small.value > 0, large.value > 0, large.citizens > small.citizens else { return nil }
        return log(large.value / small.value) / log(Double(large.citizens) / Double(small.citizens))
    }

    func report() {
        guard let first = reports.first, let last = reports.last else { return }
        let span = Report(scale: last.scale)
        let names = Set(reports.flatMap(\.values.keys)).filter(Self.included)
        // A figure measured at some of the scales only is compared over those: the burst's is named by its
        // size, which stops growing at 100,000, so `burst_100000_queued_seconds` grows from 100k to 1M.
        let single = names.filter { name in reports.filter { $0.values[name] != nil }.count < 2 }
        if !single.isEmpty { span.note("measured at one scale only, so not compared: \(single.sorted().joined(separator: ", "))") }
        for name in names.subtracting(single).sorted() {
            let series = reports.compactMap { report in report.values[name].map { (report.scale, $0) } }
            guard let unit = series.first?.1.unit, let from = series.first?.0, let to = series.last?.0 else { continue }
            let perCitizen = name.hasSuffix("_per_citizen")
            let total = perCitizen ? String(name.dropLast("_per_citizen".count)) : name
            func amount(_ point: (Int, (value: Double, unit: String))) -> Double {
                perCitizen ? point.1.value * Double(point.0) : point.1.value
            }
            guard let exact = Self.exponent((series[0].0, amount(series[0])), (series.last!.0, amount(series.last!))) else { continue }
            let k = (exact * 100).rounded() / 100
            span.note("\(name): " + series.map { Self.shown($0.1.value) }.joined(separator: " / ")
                + " \(unit) at " + series.map { Self.scaleName($0.0) }.joined(separator: " / "))
            span.figure("growth_\(total)", k, "exponent", "<=", 1, scale: "\(from)-\(to)", decimals: 2)
        }
        span.summary("for growth from \(first.scale) to \(last.scale) citizens")
    }

    /// Three significant digits, without an exponent.
    static func shown(_ value: Double) -> String {
        abs(value) >= 100 ? String(format: "%.0f", value) : String(format: "%.3g", value)
    }

    static func scaleName(_ citizens: Int) -> String {
        citizens % 1_000_000 == 0 ? "\(citizens / 1_000_000)M" : citizens % 1000 == 0 ? "\(citizens / 1000)k" : "\(citizens)"
    }
}
