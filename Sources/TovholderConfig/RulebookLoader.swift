import Foundation
import TovholderCore

/// Loads a rulebook from TOML. The format is documented in the README ("The rulebook").
public enum RulebookLoader {
    public static func load(path: String) throws(ConfigError) -> Rulebook {
        try load(text: try ConfigFiles.read(path), file: path)
    }

    public static func load(text: String, file: String) throws(ConfigError) -> Rulebook {
        let reader = TOMLReader(try TOMLDocument(text: text, file: file))
        let root = reader.root
        root.rejectUnknownKeys(["name", "defaults", "stage-sets", "rule"])
        let name = root.string("name") ?? "unnamed rulebook"

        var defaultWaivers = Rule.defaultWaivers
        if let defaults = root.table("defaults") {
            defaults.rejectUnknownKeys(["waived-by"])
            if let waivers = defaults.strings("waived-by") {
                defaultWaivers = matchers(waivers, at: defaults, key: "waived-by")
            }
        }

        var stageSets: [String: [Stage]] = [:]
        if let sets = root.table("stage-sets") {
            for key in sets.keys {
                stageSets[key] = sets.tables(key).map { stages($0) } ?? []
            }
        }

        var rules: [Rule] = []
        var seen: Set<String> = []
        let ruleTables = root.tables("rule") ?? []
        if ruleTables.isEmpty { reader.problem("rule", "the rulebook has no [[rule]] entries") }
        for table in ruleTables {
            if let rule = rule(table, stageSets: stageSets, defaultWaivers: defaultWaivers) {
                let version = "\(rule.id)@\(rule.effectiveFrom?.description ?? "-")"
                if seen.contains(version) {
                    table.problem("id", "rule '\(rule.id)' is defined twice for the same effective-from date")
                } else {
                    seen.insert(version)
                    rules.append(rule)
                }
            }
        }
        if !reader.problems.isEmpty { throw ConfigError(reader.problems) }
        return Rulebook(name: name, rules: rules)
    }

    static let ruleKeys: Set<String> = [
        "id", "title", "effective-from", "trigger", "due", "satisfied-by", "count", "waived-by", "suspendable",
        "tracks", "roll-to-working-day", "stages", "active",
    ]

    static func rule(_ table: TOMLReader.Table, stageSets: [String: [Stage]], defaultWaivers: [EventMatcher]) -> Rule? {
        table.rejectUnknownKeys(ruleKeys)
        let before = table.reader.problems.count
        guard let id = table.string("id") else {
            table.problem("id", "every rule needs an id")
            return nil
        }
        do { _ = try Identifier.validate(id, as: "rule id") } catch { table.problem("id", error.message) }
        var effectiveFrom: LocalDate?
        if let text = table.string("effective-from") {
            effectiveFrom = LocalDate(text)
            if effectiveFrom == nil { table.problem("effective-from", "'\(text)' is not a date YYYY-MM-DD") }
        }
        var triggers: [Trigger] = []
        if let texts = table.strings("trigger") {
            for text in texts {
                do { triggers.append(try Trigger(parsing: text)) } catch {
                    table.problem("trigger", "\(error.message); or use 'takeover' or 'visitation'")
                }
            }
        } else {
            table.problem("trigger", "missing: what starts the clock (takeover, visitation or an event kind)")
        }
        var due = CalendarOffset(0, .day)
        if let text = table.string("due") {
            if let parsed = CalendarOffset(text), parsed.amount >= 0 { due = parsed } else {
                table.problem("due", "'\(text)' is not a duration like '1 month', '6 weeks' or '14 days'")
            }
        } else {
            table.problem("due", "missing: the due offset after the trigger, like '1 month'")
        }
        let satisfied = table.strings("satisfied-by").map { matchers($0, at: table, key: "satisfied-by") } ?? []
        if !table.has("satisfied-by") { table.problem("satisfied-by", "missing: which event kinds meet the deadline") }
        let waivers = table.strings("waived-by").map { matchers($0, at: table, key: "waived-by") } ?? defaultWaivers
        var tracks: Set<Track> = []
        for text in table.strings("tracks") ?? [] {
            if let track = Track(rawValue: text) { tracks.insert(track) } else {
                table.problem("tracks", "unknown track '\(text)'; use job-ready or activity-ready")
            }
        }
        var stageList: [Stage] = []
        if let setName = table.values["stages"].flatMap({ node -> String? in
            if case .string(let name) = node { return name }
            return nil
        }) {
            if let set = stageSets[setName] { stageList = set } else {
                table.problem("stages", "no stage set named '\(setName)' under [stage-sets]")
            }
        } else if let inline = table.tables("stages") {
            stageList = stages(inline)
        }
        var names: Set<String> = []
        for stage in stageList where !names.insert(stage.name).inserted {
            table.problem("stages", "stage name '\(stage.name)' is used twice")
        }
        guard table.reader.problems.count == before else { return nil }
        return Rule(
            id: id, title: table.string("title") ?? id, effectiveFrom: effectiveFrom, triggers: triggers, due: due,
            satisfiedBy: satisfied, count: table.int("count", in: 1...100) ?? 1, waivedBy: waivers,
            suspendable: table.bool("suspendable") ?? true, tracks: tracks,
            rollToWorkingDay: table.bool("roll-to-working-day") ?? false, stages: stageList,
            active: table.bool("active") ?? true)
    }

    static func stages(_ tables: [TOMLReader.Table]) -> [Stage] {
        tables.compactMap { table -> Stage? in
            table.rejectUnknownKeys(["name", "at", "to", "channels"])
            guard let name = table.string("name") else {
                table.problem("name", "every stage needs a name")
                return nil
            }
            guard let at = table.string("at"), let offset = CalendarOffset(at), offset.unit == .day || offset.unit == .week
            else {
                table.problem("at", "needs a day offset from the due date, like '-7 days', '0 days' or '+2 weeks'")
                return nil
            }
            let roleText = table.string("to") ?? "caseworker"
            guard let role = Role(rawValue: roleText) else {
                table.problem("to", "unknown role '\(roleText)'; use caseworker, team-lead or manager")
                return nil
            }
            let days = offset.unit == .week ? offset.amount * 7 : offset.amount
            return Stage(name: name, offsetDays: days, to: role, channels: table.strings("channels"))
        }
    }

    static func matchers(_ texts: [String], at table: TOMLReader.Table, key: String) -> [EventMatcher] {
        var result: [EventMatcher] = []
        for text in texts {
            do throws(DomainError) { result.append(try EventMatcher(parsing: text)) } catch {
                table.problem(key, error.message)
            }
        }
        return result
    }
}

/// Reading files with errors that name the file.
enum ConfigFiles {
    static func read(_ path: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError([Problem(file: path, line: nil, key: nil, message: "cannot read the file (missing or not readable)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError([Problem(file: path, line: nil, key: nil, message: "the file is not UTF-8 text")])
        }
        return text
    }
}
