import Foundation
import TovholderProtocol

/// A raw line client for the control socket: to send what tovholderctl never would, and to pipeline.
/// One thread may send while another reads: they share only the descriptor, which the kernel serialises.
public final class LineClient: @unchecked Sendable {
    public let descriptor: Int32
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        let result = withUnixSocketAddress(path) { connect(descriptor, $0, $1) } ?? -1
        // No close here: an initializer that throws once every property is set still runs deinit, which
        // closes the descriptor. Closing it here too closed it twice, and with threads opening files in
        // between the second close could hit another thread's pipe (a test's tovholderctl died of SIGPIPE).
        guard result == 0 else { throw HarnessError("cannot connect to \(path)") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    public func send(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// The next line, or nil when the daemon closed the connection.
    public func readLine() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(descriptor, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    public func request(_ json: String) -> [String: Any]? {
        send(json + "\n")
        guard let line = readLine() else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
    }
}

/// A datagram socket that receives sd_notify messages, as systemd's NOTIFY_SOCKET does.
public final class NotifySocket: Sendable {
    public let descriptor: Int32
    public let path: String

    public init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        let result = withUnixSocketAddress(path) { bind(descriptor, $0, $1) } ?? -1
        guard result == 0 else { throw HarnessError("cannot bind \(path)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    /// The next datagram, or nil on timeout.
    public func receive() -> String? {
        var chunk = [UInt8](repeating: 0, count: 4096)
        let n = recv(descriptor, &chunk, chunk.count, 0)
        return n > 0 ? String(decoding: chunk[..<n], as: UTF8.self) : nil
    }
}
