import Foundation
import Synchronization
import TovholderHarness

/// Latencies in microseconds, with nearest-rank percentiles.
struct Latencies: Sendable {
    var samples: [Double] = []
    mutating func add(_ micros: Double) { samples.append(micros) }
    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count, max(1, Int((Double(sorted.count) * p / 100).rounded(.up)))) - 1]
    }
}

/// One client connection of a load, driven without blocking: lines to send wait in `outbox`, answers
/// collect in `inbox` until a newline completes them.
private final class LoadConnection {
    let client: LineClient
    var outbox: [UInt8] = []
    var inbox: [UInt8] = []
    var waiting = 0
    var sentAt: Double = 0
    var next: Double = 0
    var count = 0

    init(socket: String) throws {
        client = try LineClient(path: socket)
        let flags = fcntl(client.descriptor, F_GETFL)
        _ = fcntl(client.descriptor, F_SETFL, flags | O_NONBLOCK)
    }

    /// Sends what the socket takes now; false when the daemon closed the connection.
    func flush() -> Bool {
        guard !outbox.isEmpty else { return true }
        let n = outbox.withUnsafeBytes { send(client.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n > 0 { outbox.removeFirst(n) }
        return n > 0 || errno == EAGAIN
    }

    /// Reads what has arrived and calls `answer` with whether each complete line was `"ok":true`; false
    /// when the daemon closed the connection.
    func receive(_ answer: (Bool) -> Void) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let n = recv(client.descriptor, &chunk, chunk.count, 0)
        if n == 0 || (n < 0 && errno != EAGAIN) { return false }
        guard n > 0 else { return true }
        inbox.append(contentsOf: chunk[..<n])
        var start = 0
        while let newline = inbox[start...].firstIndex(of: UInt8(ascii: "\n")) {
            answer(Self.isOK(inbox[start..<newline]))
            start = newline + 1
        }
        inbox.removeFirst(start)
        return true
    }

    private static let ok = Array(#""ok":true"#.utf8)
    private static func isOK(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.count >= ok.count else { return false }
        var i = line.startIndex
        while i <= line.endIndex - ok.count {
            if line[i..<(i + ok.count)].elementsEqual(ok) { return true }
            i += 1
        }
        return false
    }
}

/// The benchmark's load generators. Each drives all its connections from one thread with poll(2), as a
/// load tester does: on two cores shared with the daemon, a thread per client made the clients' own
/// scheduling (16 threads sleeping and waking) part of every latency measured.
enum Load {
    static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Waits until one of `connections` is readable (or writable, when it has lines to send), or
    /// `deadline` passes.
    private static func poll(_ connections: [LoadConnection], until deadline: Double) -> [Int16] {
        var fds = connections.map {
            pollfd(fd: $0.client.descriptor, events: Int16(POLLIN) | ($0.outbox.isEmpty ? 0 : Int16(POLLOUT)), revents: 0)
        }
        let wait = max(0, deadline - now())
        _ = Glibc.poll(&fds, nfds_t(fds.count), Int32((wait * 1000).rounded(.up)))
        return fds.map(\.revents)
    }

    /// Sustained ingestion: `connections` clients each keep up to `window` event.record requests in flight
    /// for `seconds`. Returns acknowledged events per second and how many were refused.
    static func ingest(socket: String, citizens: [String], date: String, seconds: Double, connections: Int = 8, window: Int = 256)
        throws -> (rate: Double, acknowledged: Int, failed: Int)
    {
        let clients = try (0..<connections).map { _ in try LoadConnection(socket: socket) }
        var failed = 0
        var acknowledged = 0
        let start = now()
        let stop = start + seconds
        while true {
            let sending = now() < stop
            for (c, connection) in clients.enumerated() where sending {
                while connection.waiting < window {
                    let citizen = citizens[(c * 7_919 + connection.count * connections) % citizens.count]
                    connection.outbox += Array(
                        #"{"v":1,"op":"event.record","params":{"citizen":"\#(citizen)","kind":"conversation-held","date":"\#(date)"}}"#
                            .utf8) + [UInt8(ascii: "\n")]
                    connection.waiting += 1
                    connection.count += 1
                }
            }
            if !sending && clients.allSatisfy({ $0.waiting == 0 }) { break }
            let events = poll(clients, until: sending ? stop : now() + 10)
            if events.allSatisfy({ $0 == 0 }) && !sending { break }
            for (connection, revents) in zip(clients, events) {
                if revents & Int16(POLLOUT) != 0, !connection.flush() { throw HarnessError("the daemon closed an ingesting connection") }
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let open = connection.receive { ok in
                        connection.waiting -= 1
                        acknowledged += 1
                        if !ok { failed += 1 }
                    }
                    if !open { throw HarnessError("the daemon closed an ingesting connection") }
                }
            }
        }
        return (Double(acknowledged) / (now() - start), acknowledged, failed)
    }

    /// Paced requests: `clients` connections together send `rate` requests per second for `seconds`, each
    /// waiting for its answer; `make(c, i)` gives client c's i-th request line. Returns latencies (from
    /// the moment a line is handed to the socket to the moment its answer is read) and the rate reached.
    static func paced(socket: String, clients count: Int, rate: Double, seconds: Double, make: @escaping @Sendable (Int, Int) -> String)
        throws -> (latencies: Latencies, achieved: Double, failed: Int)
    {
        let clients = try (0..<count).map { _ in try LoadConnection(socket: socket) }
        var latencies = Latencies()
        var failed = 0
        let interval = Double(count) / rate
        let start = now()
        let stop = start + seconds
        for (c, connection) in clients.enumerated() { connection.next = start + interval * Double(c) / Double(count) }
        while true {
            let time = now()
            for (c, connection) in clients.enumerated() where connection.waiting == 0 && connection.next < stop && connection.next <= time {
                connection.outbox = Array((make(c, connection.count) + "\n").utf8)
                connection.waiting = 1
                connection.sentAt = now()
                if !connection.flush() { throw HarnessError("the daemon closed a paced connection") }
            }
            let idle = clients.filter { $0.waiting == 0 && $0.next < stop }
            if idle.isEmpty && clients.allSatisfy({ $0.waiting == 0 }) { break }
            let events = poll(clients, until: idle.map(\.next).min() ?? now() + 10)
            for (connection, revents) in zip(clients, events) {
                if revents & Int16(POLLOUT) != 0, !connection.flush() { throw HarnessError("the daemon closed a paced connection") }
                if revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 {
                    let open = connection.receive { ok in
                        latencies.add((now() - connection.sentAt) * 1_000_000)
                        if !ok { failed += 1 }
                        connection.waiting = 0
                        connection.count += 1
                        connection.next += interval
                    }
                    if !open { throw HarnessError("the daemon closed a paced connection") }
                }
            }
        }
        return (latencies, Double(clients.map(\.count).reduce(0, +)) / (now() - start), failed)
    }
}
