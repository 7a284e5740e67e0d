import Foundation
import TovholderCore

/// The control protocol: one JSON object per line each way, over a Unix socket.
///
/// Request:  `{"v":1,"id":7,"op":"citizen.show","params":{"id":"K-1001"}}`
/// Response: `{"v":1,"id":7,"ok":true,"result":{…}}` or
///           `{"v":1,"id":7,"ok":false,"error":{"code":"not-found","message":"no citizen K-1001"}}`
public enum WireProtocol {
    public static let version = 1
    /// Requests longer than this are refused (the daemon's limit is configurable; this is the default).
    public static let defaultMaxLineBytes = 1 << 20

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}

/// What every request carries besides its parameters.
public struct RequestHeader: Codable, Sendable {
    public var v: Int?
    public var id: Int?
    public var op: String?

    public init(v: Int?, id: Int?, op: String?) {
        self.v = v
        self.id = id
        self.op = op
    }
}

/// A request with typed parameters.
public struct Request<Params: Codable & Sendable>: Codable, Sendable {
    public var v: Int
    public var id: Int?
    public var op: String
    public var params: Params

    public init(id: Int? = nil, op: String, params: Params) {
        self.v = WireProtocol.version
        self.id = id
        self.op = op
        self.params = params
    }
}

/// Only the parameters of a request, decoded once the operation is known.
public struct RequestParams<Params: Decodable>: Decodable {
    public var params: Params

    enum CodingKeys: String, CodingKey { case params }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let params = try container.decodeIfPresent(Params.self, forKey: .params) {
            self.params = params
        } else {
            self.params = try Params(from: EmptyObjectDecoder(codingPath: [CodingKeys.params]))
        }
    }
}

/// A response. `result` is present when `ok`, `error` otherwise.
public struct Response<Result: Codable & Sendable>: Codable, Sendable {
    public var v: Int
    public var id: Int?
    public var ok: Bool
    public var result: Result?
    public var error: WireError?

    public init(id: Int?, result: Result) {
        self.v = WireProtocol.version
        self.id = id
        self.ok = true
        self.result = result
        self.error = nil
    }

    public init(id: Int?, error: WireError) {
        self.v = WireProtocol.version
        self.id = id
        self.ok = false
        self.result = nil
        self.error = error
    }
}

/// An error on the wire: a stable code and a sentence for a person.
public struct WireError: Codable, Sendable, Error, Hashable, CustomStringConvertible {
    public enum Code: String, Codable, Sendable {
        /// The request line is not valid JSON or lacks `op`.
        case badRequest = "bad-request"
        /// The request line is longer than the daemon accepts.
        case tooLarge = "too-large"
        /// The protocol version is not supported.
        case unsupportedVersion = "unsupported-version"
        /// No such operation.
        case unknownOperation = "unknown-operation"
        /// The parameters or the change are not valid (bad date, event before takeover, …).
        case invalid
        case notFound = "not-found"
        case conflict
        /// The daemon cannot serve now (shutting down, store failure).
        case unavailable
        case internalError = "internal"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(_ error: DomainError) {
        switch error.kind {
        case .invalid: self.init(.invalid, error.message)
        case .notFound: self.init(.notFound, error.message)
        case .conflict: self.init(.conflict, error.message)
        }
    }

    public var description: String { message }
}

/// A result with no fields.
public struct Empty: Codable, Sendable, Hashable {
    public init() {}
}

/// Decodes a type from `{}`: lets requests omit `params` when every parameter is optional.
struct EmptyObjectDecoder: Decoder {
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(EmptyKeyedContainer<Key>(codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "params missing"))
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "params missing"))
    }
}

struct EmptyKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var codingPath: [any CodingKey]
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { false }
    func decodeNil(forKey key: Key) throws -> Bool { true }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing '\(key.stringValue)'"))
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
    }
    func superDecoder() throws -> any Decoder { EmptyObjectDecoder(codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { EmptyObjectDecoder(codingPath: codingPath) }
}
