/// The one error type of the domain: a kind for the caller to branch on and a sentence for a person.
public struct DomainError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        /// The input is malformed or breaks a rule (bad date, event before takeover, unknown kind).
        case invalid
        /// The named citizen or object does not exist.
        case notFound = "not-found"
        /// The object exists already (a duplicate citizen id).
        case conflict
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public static func invalid(_ message: String) -> Self { Self(.invalid, message) }
    public static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    public static func conflict(_ message: String) -> Self { Self(.conflict, message) }

    public var description: String { message }
}
