/// Writes JSON straight into bytes, for what the daemon writes most: the control socket's answers
/// (envelope, citizens, deadlines, status) and the notices of the outbox and the spool. Foundation's
/// `JSONEncoder` builds a tree of boxed values and sorts keys on every call, which cost more than the
/// database work of a request. The output is the same JSON as a `JSONEncoder` with sorted keys and
/// unescaped slashes gives (`nil` fields left out); tests hold the two equal. Callers write an object's
/// keys in sorted order.
public struct JSONWriter {
    // Inlinable (with its state usable from inlinable code) so that callers in other modules get
    // `field` and `array` specialised for their types: unspecialised, every field of an answer cost
    // generic-metadata lookups (5 % of the daemon's CPU under ingestion).
    public var bytes: [UInt8] { buffer }
    @usableFromInline var buffer: [UInt8] = []
    @usableFromInline var needsComma = false

    @inlinable public init(capacity: Int = 512) { buffer.reserveCapacity(capacity) }

    @inlinable public mutating func object(_ body: (inout JSONWriter) -> Void) {
        comma()
        buffer.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        buffer.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// A field, left out when `value` is nil.
    @inlinable public mutating func field(_ key: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        self.key(key)
        value.write(to: &self)
    }

    @inlinable public mutating func array<S: Sequence>(_ elements: S) where S.Element: JSONWritable {
        comma()
        buffer.append(UInt8(ascii: "["))
        needsComma = false
        for element in elements { element.write(to: &self) }
        buffer.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A string, escaped as JSON requires (quotes, backslashes, control characters); other characters,
    /// `/` included, are written as they are.
    @inlinable public mutating func string(_ value: String) {
        comma()
        buffer.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                buffer.append(contentsOf: utf8[start..<index])
                start = index + 1
                buffer.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): buffer.append(byte)
                case 0x08: buffer.append(UInt8(ascii: "b"))
                case 0x0C: buffer.append(UInt8(ascii: "f"))
                case 0x0A: buffer.append(UInt8(ascii: "n"))
                case 0x0D: buffer.append(UInt8(ascii: "r"))
                case 0x09: buffer.append(UInt8(ascii: "t"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    buffer.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                }
            }
            buffer.append(contentsOf: utf8[start...])
        }
        buffer.append(UInt8(ascii: "\""))
    }

    @inlinable public mutating func integer(_ value: Int64) {
        comma()
        if value == 0 {
            buffer.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { reversed in
            while magnitude > 0 {
                reversed[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(reversed[index]) }
        }
    }

    @inlinable public mutating func boolean(_ value: Bool) {
        comma()
        buffer.append(contentsOf: value ? "true".utf8 : "false".utf8)
    }

    /// `"YYYY-MM-DD"`, without building a String.
    @inlinable public mutating func date(_ date: LocalDate) {
        guard (0...9999).contains(date.year) else { return string(date.description) }
        comma()
        func two(_ n: Int) -> (UInt8, UInt8) { (UInt8(ascii: "0") + UInt8(n / 10), UInt8(ascii: "0") + UInt8(n % 10)) }
        let (y1, y2) = two(date.year / 100), (y3, y4) = two(date.year % 100)
        let (m1, m2) = two(date.month), (d1, d2) = two(date.day)
        buffer.append(contentsOf: [UInt8(ascii: "\""), y1, y2, y3, y4, UInt8(ascii: "-"), m1, m2, UInt8(ascii: "-"), d1, d2, UInt8(ascii: "\"")])
    }

    @inlinable mutating func key(_ key: StaticString) {
        comma()
        buffer.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { buffer.append(contentsOf: $0) }
        buffer.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    @inlinable mutating func comma() {
        if needsComma { buffer.append(UInt8(ascii: ",")) }
        needsComma = true
    }
}

/// A value `JSONWriter` writes directly.
public protocol JSONWritable {
    func write(to writer: inout JSONWriter)
}

extension JSONWritable {
    /// The value as JSON text.
    @inlinable public var jsonBytes: [UInt8] {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.bytes
    }
}

extension String: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.string(self) }
}

extension Int: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.integer(Int64(self)) }
}

extension Int64: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.integer(self) }
}

extension Bool: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.boolean(self) }
}

extension LocalDate: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.date(self) }
}

extension Array: JSONWritable where Element: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.array(self) }
}

/// A `[String: Int]` object, keys sorted.
extension Dictionary: JSONWritable where Key == String, Value == Int {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            for (key, value) in self.sorted(by: { $0.key < $1.key }) {
                w.dynamicField(key, value)
            }
        }
    }
}

extension JSONWriter {
    /// A field whose key is only known at run time.
    @inlinable mutating func dynamicField(_ key: String, _ value: Int) {
        string(key)
        buffer.append(UInt8(ascii: ":"))
        needsComma = false
        integer(Int64(value))
    }
}

extension EventKind: JSONWritable {}
extension OfferKind: JSONWritable {}
extension Track: JSONWritable {}
extension DeadlineStatus: JSONWritable {}
extension Role: JSONWritable {}
extension Stage.Kind: JSONWritable {}

extension RawRepresentable where RawValue == String, Self: JSONWritable {
    @inlinable public func write(to writer: inout JSONWriter) { writer.string(rawValue) }
}

extension Notice.Details: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("due", due)
            w.field("firedAt", firedAt)
            w.field("instance", instance)
            w.field("role", role)
            w.field("stageKind", stageKind)
            w.field("status", status)
            w.field("title", title)
        }
    }
}

extension Notice: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("channel", channel)
            w.field("citizen", citizen)
            w.field("due", due)
            w.field("firedAt", firedAt)
            w.field("instance", instance)
            w.field("key", key)
            w.field("recipient", recipient)
            w.field("role", role)
            w.field("rule", rule)
            w.field("stage", stage)
            w.field("stageKind", stageKind)
            w.field("status", status)
            w.field("title", title)
        }
    }
}
