import Foundation

/// The wall-time source: deadlines are wall-clock facts (local dates at 08:00), while sleeping uses an
/// injected monotonic `Clock`. Tests supply both and move them together.
public protocol WallClock: Sendable {
    /// Milliseconds since the Unix epoch.
    func nowMillis() -> Int64
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    public init() {}
    public func nowMillis() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// Who made a request: from the control socket's peer credentials (SO_PEERCRED).
public struct Caller: Sendable, Hashable {
    public var uid: Int?
    public var pid: Int?
    /// The user name for `uid`, or a fixed name for internal callers (`tovholderd`).
    public var name: String

    public init(uid: Int?, pid: Int?, name: String) {
        self.uid = uid
        self.pid = pid
        self.name = name
    }

    /// The daemon itself (demo data, re-derivation).
    public static let daemon = Caller(uid: nil, pid: nil, name: "tovholderd")
}

extension Int64 {
    /// ISO 8601 in UTC, for notices and output.
    public var iso8601: String {
        Date(timeIntervalSince1970: TimeInterval(self) / 1000).formatted(.iso8601)
    }
}
