/// The case system's identifier for a citizen. Never a CPR number: ids that look like one are refused,
/// so that no personal identity number reaches the store, a log line or a notification.
public struct CitizenID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init(validating raw: String) throws(DomainError) {
        guard Self.isWellFormed(raw) else {
            throw .invalid(
                "citizen id '\(Self.printable(raw))' is not valid: use 1 to 64 characters from A-Z a-z 0-9 . _ -")
        }
        guard !Self.looksLikeCPR(raw) else {
            throw .invalid("citizen id looks like a CPR number; use the case system's id, never a CPR number")
        }
        self.rawValue = raw
    }

    /// For values read back from the store, which were validated when they were written.
    public init(trusted raw: String) { self.rawValue = raw }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(validating: raw) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// 1–64 characters from a conservative set: safe in file names, log fields and idempotency keys.
    public static func isWellFormed(_ raw: String) -> Bool {
        guard (1...64).contains(raw.utf8.count) else { return false }
        return raw.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
    }

    /// DDMMYY-SSSS or DDMMYYSSSS with a plausible day and month.
    public static func looksLikeCPR(_ raw: String) -> Bool {
        let digits = raw.utf8.filter { $0 != UInt8(ascii: "-") }
        let dashes = raw.utf8.count - digits.count
        guard digits.count == 10, dashes <= 1, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
        if dashes == 1 && Array(raw.utf8)[6] != UInt8(ascii: "-") { return false }
        let value = digits.map { Int($0 - 0x30) }
        let day = value[0] * 10 + value[1]
        let month = value[2] * 10 + value[3]
        return (1...31).contains(day) && (1...12).contains(month)
    }

    /// A shortened, printable form of untrusted input for error messages.
    static func printable(_ raw: String) -> String {
        let cleaned = String(raw.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(40))
        return raw.count > 40 ? cleaned + "…" : cleaned
    }
}

/// Identifies a caseworker, team lead or manager as the configuration names them (not a person's name).
public typealias PersonID = String

/// Validation of short identifiers (caseworker, household, rule ids) used across the domain.
public enum Identifier {
    /// 1–64 characters from A-Z a-z 0-9 . _ -
    public static func validate(_ raw: String, as what: String) throws(DomainError) -> String {
        guard CitizenID.isWellFormed(raw) else {
            throw .invalid("\(what) '\(CitizenID.printable(raw))' is not valid: use 1 to 64 characters from A-Z a-z 0-9 . _ -")
        }
        return raw
    }
}
