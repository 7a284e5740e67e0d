import CSystemd
import Foundation

/// Talks to the service manager. Every call is a no-op when not running under systemd, so the daemon
/// works unchanged from a terminal.
public protocol ServiceManagerNotifier: Sendable {
    /// Sends a state string such as `READY=1`, `STATUS=…`, `STOPPING=1` or `WATCHDOG=1`.
    func notify(_ state: String)
    /// The watchdog interval systemd asks for, if any.
    var watchdogInterval: Duration? { get }
}

/// The real sd_notify datagram protocol through libsystemd.
public struct SystemdNotifier: ServiceManagerNotifier {
    public init() {}

    public func notify(_ state: String) {
        _ = sd_notify(0, state)
    }

    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}

/// Socket activation and journal access.
public enum Systemd {
    /// Listening sockets handed over by systemd (`LISTEN_FDS`), starting at fd 3. Unsets the variables so
    /// child processes do not inherit them.
    public static func listenFileDescriptors() -> [Int32] {
        let count = sd_listen_fds(1)
        guard count > 0 else { return [] }
        return (0..<count).map { SD_LISTEN_FDS_START + $0 }
    }

    /// True when journald is reachable and the process was started by systemd (its stderr goes to the
    /// journal or it has an invocation id): then structured journal entries are the right output.
    public static var journalAvailable: Bool {
        let environment = ProcessInfo.processInfo.environment
        let underSystemd = environment["JOURNAL_STREAM"] != nil || environment["INVOCATION_ID"] != nil
        return underSystemd && FileManager.default.fileExists(atPath: "/run/systemd/journal/socket")
    }

    /// Sends one structured entry to the journal. Field names must be upper-case (A–Z, 0–9, _).
    @discardableResult
    public static func journalSend(_ fields: [(String, String)]) -> Bool {
        let items = fields.map { Array("\($0.0)=\($0.1)".utf8) }
        let buffers = items.map { bytes -> UnsafeMutableRawBufferPointer in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { for buffer in buffers { buffer.deallocate() } }
        var vectors = zip(buffers.indices, items).map { index, bytes in
            iovec(iov_base: buffers[index].baseAddress, iov_len: bytes.count)
        }
        return sd_journal_sendv(&vectors, Int32(vectors.count)) == 0
    }

    /// A journal field name for a metadata key: `citizen.id` → `TOVHOLDER_CITIZEN_ID`.
    public static func fieldName(_ key: String) -> String {
        let mapped = key.uppercased().unicodeScalars.map { scalar -> Character in
            (scalar.properties.isAlphabetic && scalar.isASCII) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
        }
        return "TOVHOLDER_" + String(mapped)
    }
}
