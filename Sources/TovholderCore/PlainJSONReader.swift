/// Reads JSON of the plain kind the daemon itself writes and its clients send: objects, strings without
/// escapes, integers, booleans and null. Anything else makes a reader method fail (nil or false), and the
/// caller falls back to Foundation's `JSONDecoder`, which reads everything and words the errors. Shared by
/// the request reader (`FlatRequest`) and the outbox, which reads back the notices `JSONWriter` wrote.
public struct PlainJSONReader {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    public init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public var atEnd: Bool { index >= bytes.count }
    public var peek: UInt8? {
        mutating get {
            skipSpace()
            return atEnd ? nil : bytes[index]
        }
    }

    public mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    public mutating func take(_ byte: UInt8) -> Bool {
        guard peek == byte else { return false }
        index += 1
        return true
    }

    /// `{ "key": value, … }`, handing each key to `member`, which reads the value.
    public mutating func object(_ member: (String, inout PlainJSONReader) -> Bool) -> Bool {
        guard take(UInt8(ascii: "{")) else { return false }
        if take(UInt8(ascii: "}")) { return true }
        repeat {
            guard peek == UInt8(ascii: "\""), let key = plainString(), take(UInt8(ascii: ":")), member(key, &self) else {
                return false
            }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}"))
    }

    /// A string of printable ASCII without escapes; with `unicode`, of any valid UTF-8 without escapes or
    /// control characters (what `JSONWriter` writes for text that needs no escaping).
    public mutating func plainString(unicode: Bool = false) -> String? {
        index += 1  // the opening quote
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                let text = UnsafeRawBufferPointer(rebasing: bytes[start..<(index - 1)])
                return ascii ? String(decoding: text, as: UTF8.self) : String(validating: text, as: UTF8.self)
            }
            guard byte >= 0x20, byte != UInt8(ascii: "\\"), byte < 0x7F || unicode else { return nil }
            if byte >= 0x7F { ascii = false }
            index += 1
        }
        return nil
    }

    /// An integer without fraction or exponent, no leading zeros, that fits an Int.
    public mutating func integer() -> Int? {
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

    public mutating func word(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        for offset in 0..<count where bytes[index + offset] != text.utf8Start[offset] { return false }
        index += count
        return true
    }
}
