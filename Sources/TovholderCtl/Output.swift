import Foundation
import TovholderCore
import TovholderProtocol

/// Output helpers: aligned tables for people, JSON for programs.
enum Output {
    static func printJSON<T: Encodable>(_ value: T) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
    }

    /// Columns padded to their widest cell; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }

    static func deadlineRows(_ deadlines: [DeadlineView], withCitizen: Bool) -> String {
        let header = (withCitizen ? ["CITIZEN"] : []) + ["RULE", "DUE", "STATUS", "MET", "PROGRESS", "NEXT"]
        let rows = deadlines.map { d -> [String] in
            let progress = d.required > 1 ? "\(d.progress)/\(d.required)" : "-"
            let next = d.nextStage.map { "\($0) \(d.nextFiring.map(shortTime) ?? "")" } ?? "-"
            return (withCitizen ? [d.citizen] : []) + [
                d.rule, d.due.description, d.status.rawValue, d.metOn?.description ?? "-", progress, next,
            ]
        }
        return table(header, rows)
    }

    /// A count with its noun, singular for one: `1 citizen`, `2 citizens`, `1 batch`.
    static func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
        "\(count) \(count == 1 ? noun : plural ?? noun + "s")"
    }

    /// `2026-11-23T07:00:00Z` → `2026-11-23 07:00Z`.
    static func shortTime(_ iso: String) -> String {
        iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: ":00Z", with: "Z")
    }
}
