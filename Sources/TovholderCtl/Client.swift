import Foundation
import TovholderCore
import TovholderProtocol

/// A blocking client for the control socket: one request line out, one response line in.
public final class Client {
    let descriptor: Int32
    let path: String
    private var buffer = [UInt8]()
    private var nextID = 1

    /// Connects, or fails with one clear sentence.
    let timeoutSeconds: Int

    public init(path: String, timeoutSeconds: Int = 30) throws(CtlError) {
        self.path = path
        self.timeoutSeconds = timeoutSeconds
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw CtlError("cannot create a socket: \(String(cString: strerror(errno)))") }
        // The descriptor is closed by deinit, which runs also when this initializer throws (every property
        // is set by then): closing it here as well closed it twice.
        guard let result = withUnixSocketAddress(path, { connect(descriptor, $0, $1) }) else {
            throw CtlError("socket path is too long: \(path)")
        }
        guard result == 0 else {
            let code = errno
            switch code {
            case ENOENT, ECONNREFUSED:
                throw CtlError("tovholderd is not running (nothing listens on \(path)); start it, or point --socket or TOVHOLDER_SOCKET at its socket")
            case EACCES:
                throw CtlError("permission denied on \(path); ask an administrator to add you to the socket's group")
            default:
                throw CtlError("cannot connect to \(path): \(String(cString: strerror(code)))")
            }
        }
        applyTimeout()
    }

    deinit { close(descriptor) }

    /// No answer within the timeout is an error, not a hang (a socket unit whose service fails to start
    /// keeps accepting connections).
    func applyTimeout() {
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends a request and decodes the result, or throws the daemon's error.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(_ op: RequestOperation, _ params: P, as: R.Type) throws(CtlError) -> R {
        let id = nextID
        nextID += 1
        let envelope = Request(id: id, op: op.rawValue, params: params)
        let request: Data
        if let fast = envelope as? any JSONWritable {
            request = Data(fast.jsonBytes)  // an import batch: JSONEncoder would cost more than reading the file
        } else {
            do { request = try WireProtocol.encoder.encode(envelope) } catch {
                throw CtlError("cannot encode the request: \(error)")
            }
        }
        try send(request + Data([UInt8(ascii: "\n")]))
        let line = try readLine()
        let response: Response<R>
        do { response = try JSONDecoder().decode(Response<R>.self, from: line) } catch {
            throw CtlError("tovholderd sent a response this tovholderctl does not understand: \(error)")
        }
        if let error = response.error { throw CtlError(wire: error) }
        guard let result = response.result else { throw CtlError("tovholderd sent an empty response") }
        return result
    }

    func send(_ data: Data) throws(CtlError) {
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw CtlError("lost the connection to tovholderd: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    func readLine() throws(CtlError) -> Data {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(buffer[..<newline])
                buffer.removeSubrange(...newline)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count < 0 && errno == EINTR { continue }
            if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                throw CtlError("tovholderd did not answer within \(timeoutSeconds) s (is the service failing to start? see journalctl -u tovholderd)")
            }
            guard count > 0 else { throw CtlError("tovholderd closed the connection before answering") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }
}
