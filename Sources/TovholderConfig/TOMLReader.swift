/// Reads typed values from one table of a TOMLDocument, collecting every problem (wrong type, bad value,
/// unknown key) with its file, line and key path instead of stopping at the first.
public final class TOMLReader {
    public let document: TOMLDocument
    public private(set) var problems: [Problem] = []

    public init(_ document: TOMLDocument) { self.document = document }

    public func problem(_ path: String, _ message: String) {
        problems.append(Problem(file: document.file, line: document.line(of: path), key: path, message: message))
    }

    /// A view of one table, addressed by its path.
    public struct Table {
        let reader: TOMLReader
        public let path: String
        public let values: [String: TOMLDocument.Node]

        func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        public var keys: [String] { values.keys.sorted() }

        /// Reports keys not in `known`: a typo must not silently fall back to a default.
        public func rejectUnknownKeys(_ known: Set<String>) {
            for key in values.keys.sorted() where !known.contains(key) {
                reader.problem(keyPath(key), "unknown key; expected one of: \(known.sorted().joined(separator: ", "))")
            }
        }

        public func string(_ key: String) -> String? {
            guard let node = values[key] else { return nil }
            if case .string(let value) = node { return value }
            reader.problem(keyPath(key), "expected a string, found \(node.typeName)")
            return nil
        }

        public func int(_ key: String, in range: ClosedRange<Int>? = nil) -> Int? {
            guard let node = values[key] else { return nil }
            guard case .int(let value) = node else {
                reader.problem(keyPath(key), "expected an integer, found \(node.typeName)")
                return nil
            }
            if let range, !range.contains(value) {
                reader.problem(keyPath(key), "\(value) is out of range \(range.lowerBound)...\(range.upperBound)")
                return nil
            }
            return value
        }

        public func bool(_ key: String) -> Bool? {
            guard let node = values[key] else { return nil }
            if case .bool(let value) = node { return value }
            reader.problem(keyPath(key), "expected true or false, found \(node.typeName)")
            return nil
        }

        /// A string, or an array of strings (a single string is taken as a one-element list).
        public func strings(_ key: String) -> [String]? {
            guard let node = values[key] else { return nil }
            switch node {
            case .string(let value): return [value]
            case .array(let items):
                var result: [String] = []
                for (index, item) in items.enumerated() {
                    guard case .string(let value) = item else {
                        reader.problem("\(keyPath(key))[\(index)]", "expected a string, found \(item.typeName)")
                        continue
                    }
                    result.append(value)
                }
                return result
            default:
                reader.problem(keyPath(key), "expected a string or an array of strings, found \(node.typeName)")
                return nil
            }
        }

        public func table(_ key: String) -> Table? {
            guard let node = values[key] else { return nil }
            guard case .table(let inner) = node else {
                reader.problem(keyPath(key), "expected a table, found \(node.typeName)")
                return nil
            }
            return Table(reader: reader, path: keyPath(key), values: inner)
        }

        /// An array of tables (`[[rule]]`, or an array of inline tables).
        public func tables(_ key: String) -> [Table]? {
            guard let node = values[key] else { return nil }
            guard case .array(let items) = node else {
                reader.problem(keyPath(key), "expected an array of tables, found \(node.typeName)")
                return nil
            }
            var result: [Table] = []
            for (index, item) in items.enumerated() {
                guard case .table(let inner) = item else {
                    reader.problem("\(keyPath(key))[\(index)]", "expected a table, found \(item.typeName)")
                    continue
                }
                result.append(Table(reader: reader, path: "\(keyPath(key))[\(index)]", values: inner))
            }
            return result
        }

        public func problem(_ key: String, _ message: String) { reader.problem(keyPath(key), message) }
        public func has(_ key: String) -> Bool { values[key] != nil }
    }

    public var root: Table { Table(reader: self, path: "", values: document.root) }
}
