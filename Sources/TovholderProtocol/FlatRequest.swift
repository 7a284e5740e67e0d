import TovholderCore

/// A fast reader for the common shape of a request line: one object whose `params`, if present, is an
/// object of strings, integers, booleans, nulls and arrays of such objects (two levels deep at most: an
/// import batch's citizens and their events), all plain ASCII without escapes. That is every request
/// `tovholderctl` and the benchmark send for events, queries and imports. Anything else — deeper nesting,
/// escapes, non-ASCII text, fractions, duplicate keys, malformed JSON — gives nil, and the caller falls
/// back to `JSONDecoder`, which also words the error for a bad request. So this only ever takes the
/// fast path for input the two read alike.
public struct FlatRequest: Sendable {
    public enum Scalar: Sendable, Equatable {
        case string(String)
        case integer(Int)
        case boolean(Bool)
        case null
        /// An array of objects whose values are again of these kinds.
        case objects([[String: Scalar]])

        /// The text of a string value.
        var text: String? {
            if case .string(let value) = self { return value }
            return nil
        }
    }

    /// How deep arrays of objects may nest (`params.citizens[].events[]`); deeper goes to JSONDecoder.
    static let maxDepth = 2

    public var v: Int?
    public var id: Int?
    public var op: String?
    public var params: [String: Scalar] = [:]

    public func string(_ key: String) -> String? { params[key]?.text }

    /// Parses a request line, or returns nil when it is not of the plain shape.
    public static func parse(_ line: UnsafeRawBufferPointer) -> FlatRequest? {
        var reader = PlainJSONReader(bytes: line)
        var request = FlatRequest()
        var seen = Set<String>()
        guard reader.object({ key, reader in
            guard seen.insert(key).inserted else { return false }
            switch key {
            case "params":
                guard reader.peek == UInt8(ascii: "{") else { return false }
                return reader.object { name, reader in
                    guard request.params[name] == nil, let value = reader.value(depth: 0) else { return false }
                    request.params[name] = value
                    return true
                }
            case "v", "id":
                guard case .integer(let number)? = reader.scalar() else { return false }
                if key == "v" { request.v = number } else { request.id = number }
                return true
            case "op":
                guard case .string(let op)? = reader.scalar() else { return false }
                request.op = op
                return true
            default:
                return reader.scalar() != nil
            }
        }) else { return nil }
        reader.skipSpace()
        return reader.atEnd ? request : nil
    }
}

/// The request shapes' values, read by the shared plain-JSON reader.
extension PlainJSONReader {
    /// A scalar, or (above `maxDepth`) an array of objects of values.
    mutating func value(depth: Int) -> FlatRequest.Scalar? {
        guard peek == UInt8(ascii: "[") else { return scalar() }
        guard depth < FlatRequest.maxDepth, take(UInt8(ascii: "[")) else { return nil }
        var objects: [[String: FlatRequest.Scalar]] = []
        if take(UInt8(ascii: "]")) { return .objects(objects) }
        repeat {
            var object: [String: FlatRequest.Scalar] = [:]
            guard self.object({ name, reader in
                guard object[name] == nil, let value = reader.value(depth: depth + 1) else { return false }
                object[name] = value
                return true
            }) else { return nil }
            objects.append(object)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? .objects(objects) : nil
    }

    mutating func scalar() -> FlatRequest.Scalar? {
        guard let first = peek else { return nil }
        switch first {
        case UInt8(ascii: "\""): return plainString().map(FlatRequest.Scalar.string)
        case UInt8(ascii: "t"): return word("true") ? .boolean(true) : nil
        case UInt8(ascii: "f"): return word("false") ? .boolean(false) : nil
        case UInt8(ascii: "n"): return word("null") ? .null : nil
        default: return integer().map(FlatRequest.Scalar.integer)
        }
    }
}
