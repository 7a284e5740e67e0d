import Foundation
import TOMLKit

/// A parsed TOML file as a Sendable tree, with the file's name and a map from key paths to line numbers,
/// so that every problem can be reported as `file:line: key: message`.
public struct TOMLDocument: Sendable {
    public indirect enum Node: Sendable {
        case table([String: Node])
        case array([Node])
        case string(String)
        case int(Int)
        case bool(Bool)
        case double(Double)
        case other(String)

        var typeName: String {
            switch self {
            case .table: "a table"
            case .array: "an array"
            case .string: "a string"
            case .int: "an integer"
            case .bool: "a boolean"
            case .double: "a number"
            case .other: "a date or time"
            }
        }
    }

    public let file: String
    public let root: [String: Node]
    let lines: [String: Int]

    /// Parses `text`; a syntax error is reported with its line.
    public init(text: String, file: String) throws(ConfigError) {
        self.file = file
        do {
            let table = try TOMLTable(string: text)
            self.root = Self.convert(table)
        } catch let error as TOMLParseError {
            throw ConfigError([
                Problem(file: file, line: error.source.begin.line, key: nil, message: "TOML syntax: \(error.description)")
            ])
        } catch {
            throw ConfigError([Problem(file: file, line: nil, key: nil, message: "cannot parse: \(error)")])
        }
        self.lines = Self.locate(text)
    }

    /// The line where `path` (e.g. `rule[2].due`) or its nearest enclosing key is written.
    public func line(of path: String) -> Int? {
        var candidate = path
        while true {
            if let line = lines[candidate] { return line }
            guard let cut = candidate.lastIndex(where: { $0 == "." || $0 == "[" }) else { return nil }
            candidate = String(candidate[..<cut])
        }
    }

    static func convert(_ table: TOMLTable) -> [String: Node] {
        var result: [String: Node] = [:]
        for key in table.keys {
            if let value = table[key] { result[key] = convert(value) }
        }
        return result
    }

    static func convert(_ value: any TOMLValueConvertible) -> Node {
        switch value.type {
        case .table: return .table(value.table.map(convert) ?? [:])
        case .array: return .array(value.array.map { array in array.map { convert($0) } } ?? [])
        case .string: return .string(value.string ?? "")
        case .int: return .int(value.int ?? 0)
        case .bool: return .bool(value.bool ?? false)
        case .double: return .double(value.double ?? 0)
        default: return .other(value.debugDescription)
        }
    }

    /// Maps key paths to the line they are written on: `[table]` and `[[array]]` headers (the n-th
    /// `[[rule]]` is `rule[n]`, counting from 0), and `key = …` lines within them (an inline value's inner
    /// keys resolve to the line of the key that holds it).
    static func locate(_ text: String) -> [String: Int] {
        var lines: [String: Int] = [:]
        var arrayCounts: [String: Int] = [:]
        var current = ""
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            let number = index + 1
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmingCharacters(in: .whitespacesAndNewlines)
                let resolved = resolveArrayParent(name, counts: arrayCounts)
                let count = arrayCounts[resolved, default: 0]
                arrayCounts[resolved] = count + 1
                current = "\(resolved)[\(count)]"
                lines[current] = number
            } else if line.hasPrefix("[") {
                let name = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespacesAndNewlines)
                current = resolveArrayParent(name.replacingOccurrences(of: "\"", with: ""), counts: arrayCounts)
                lines[current] = number
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<equals].trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "\"", with: "")
                guard !key.isEmpty, !key.contains(" "), !key.hasPrefix("{") else { continue }
                let path = current.isEmpty ? key : "\(current).\(key)"
                if lines[path] == nil { lines[path] = number }
            }
        }
        return lines
    }

    /// `rule.stage` inside the third `[[rule]]` is `rule[2].stage`.
    private static func resolveArrayParent(_ name: String, counts: [String: Int]) -> String {
        let parts = name.split(separator: ".").map(String.init)
        var resolved: [String] = []
        for part in parts {
            let prefix = (resolved + [part]).joined(separator: ".")
            if part != parts.last, let count = counts[prefix] {
                resolved.append("\(part)[\(count - 1)]")
            } else {
                resolved.append(part)
            }
        }
        return resolved.joined(separator: ".")
    }
}
