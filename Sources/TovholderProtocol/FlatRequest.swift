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
        var reader = Reader(bytes: line)
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

    struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? {
            mutating get {
                skipSpace()
                return atEnd ? nil : bytes[index]
            }
        }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// `{ "key": value, … }`, handing each key to `member`, which reads the value.
        mutating func object(_ member: (String, inout Reader) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                guard peek == UInt8(ascii: "\""), let key = plainString(), take(UInt8(ascii: ":")), member(key, &self) else {
                    return false
                }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        /// A scalar, or (above `maxDepth`) an array of objects of values.
        mutating func value(depth: Int) -> Scalar? {
            guard peek == UInt8(ascii: "[") else { return scalar() }
            guard depth < FlatRequest.maxDepth else { return nil }
            index += 1
            var objects: [[String: Scalar]] = []
            if take(UInt8(ascii: "]")) { return .objects(objects) }
            repeat {
                var object: [String: Scalar] = [:]
                guard self.object({ name, reader in
                    guard object[name] == nil, let value = reader.value(depth: depth + 1) else { return false }
                    object[name] = value
                    return true
                }) else { return nil }
                objects.append(object)
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? .objects(objects) : nil
        }

        mutating func scalar() -> Scalar? {
            guard let first = peek else { return nil }
            switch first {
            case UInt8(ascii: "\""): return plainString().map(Scalar.string)
            case UInt8(ascii: "t"): return word("true") ? .boolean(true) : nil
            case UInt8(ascii: "f"): return word("false") ? .boolean(false) : nil
            case UInt8(ascii: "n"): return word("null") ? .null : nil
            default: return integer().map(Scalar.integer)
            }
        }

        /// A string of printable ASCII without escapes.
        mutating func plainString() -> String? {
            index += 1  // the opening quote
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)]), as: UTF8.self)
                }
                guard byte >= 0x20, byte < 0x7F, byte != UInt8(ascii: "\\") else { return nil }
                index += 1
            }
            return nil
        }

        /// An integer without fraction or exponent, no leading zeros, that fits an Int.
        mutating func integer() -> Int? {
            var negative = false
            if bytes[index] == UInt8(ascii: "-") {
                negative = true
                index += 1
            }
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
                let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times.addingReportingOverflow(Int(bytes[index] - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return nil }
                value = sum
                index += 1
            }
            let digits = index - start
            guard digits > 0, !(digits > 1 && bytes[start] == UInt8(ascii: "0")) else { return nil }
            if index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
                default: break
                }
            }
            return negative ? -value : value
        }

        mutating func word(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard index + count <= bytes.count else { return false }
            for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
            index += count
            return true
        }
    }
}
