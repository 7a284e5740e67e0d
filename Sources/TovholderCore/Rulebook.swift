/// The set of rules in force, with every version of each. Pure data; loaded from TOML by TovholderConfig.
public struct Rulebook: Sendable, Hashable {
    public var name: String
    /// All versions of all rules, in file order.
    public private(set) var rules: [Rule]
    private var versionsByID: [String: [Rule]]
    /// The ids in file order, each once.
    public private(set) var ruleIDs: [String]

    public init(name: String, rules: [Rule]) {
        self.name = name
        self.rules = rules
        var byID: [String: [Rule]] = [:]
        var ids: [String] = []
        for rule in rules {
            if byID[rule.id] == nil { ids.append(rule.id) }
            byID[rule.id, default: []].append(rule)
        }
        self.versionsByID = byID.mapValues { versions in
            versions.sorted { ($0.effectiveFrom ?? .distantPast) < ($1.effectiveFrom ?? .distantPast) }
        }
        self.ruleIDs = ids
    }

    /// Every version of one rule, oldest first.
    public func versions(of id: String) -> [Rule] { versionsByID[id] ?? [] }

    /// The version of `id` in force on `date`, if any (and if it is active).
    public func rule(_ id: String, inForceOn date: LocalDate) -> Rule? {
        versions(of: id).last { ($0.effectiveFrom ?? .distantPast) <= date }.flatMap { $0.active ? $0 : nil }
    }

    /// A stable fingerprint of the rules' content: derived deadlines stored under another fingerprint are
    /// derived again at start-up.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a over a canonical description.
        for byte in rules.map(\.canonicalText).joined(separator: "\n").utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}

extension LocalDate {
    /// Earlier than any real date; for ordering versions without an effective date.
    public static let distantPast = LocalDate(dayNumber: -719_162)
}

extension Rule {
    /// Every field that affects derivation or staging, in a fixed order (sets sorted).
    var canonicalText: String {
        let stageText = stages.map { "\($0.name)@\($0.offsetDays)>\($0.to.rawValue)[\(($0.channels ?? ["*"]).joined(separator: ","))]" }
        return [
            id, title, effectiveFrom?.description ?? "-", triggers.map(\.description).joined(separator: ","),
            due.description, satisfiedBy.map(\.description).joined(separator: ","), String(count),
            waivedBy.map(\.description).joined(separator: ","), String(suspendable),
            tracks.map(\.rawValue).sorted().joined(separator: ","), String(rollToWorkingDay),
            stageText.joined(separator: ","), String(active),
        ].joined(separator: "|")
    }
}
