import Foundation
import Synchronization

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


/// Real time plus an offset that can be moved: for drills and benchmarks (`tovholderd --simulated-clock`),
/// never for production. Moving it is a wall-clock jump, which the scheduler re-plans for.
public final class AdjustableWallClock: WallClock {
    private let offset = Mutex<Int64>(0)
    private let base = SystemWallClock()

    public init() {}

    public func nowMillis() -> Int64 { base.nowMillis() + offset.withLock { $0 } }

    public func set(nowMillis target: Int64) {
        let real = base.nowMillis()
        offset.withLock { $0 = target - real }
    }
}
