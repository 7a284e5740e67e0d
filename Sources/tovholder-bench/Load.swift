import Foundation
import Synchronization
import TovholderHarness

/// Latencies in microseconds, with nearest-rank percentiles.
struct Latencies: Sendable {
    var samples: [Double] = []
    mutating func add(_ micros: Double) { samples.append(micros) }
    mutating func merge(_ other: Latencies) { samples += other.samples }
    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        return sorted[min(sorted.count, max(1, Int((Double(sorted.count) * p / 100).rounded(.up)))) - 1]
    }
}

/// A value shared by threads.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func update(_ body: (inout Value) -> Void) { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

enum Load {
    static func now() -> Double { Date().timeIntervalSince1970 }

    /// Sustained ingestion: `connections` clients each keep up to `window` event.record requests in flight
    /// for `seconds`. Returns acknowledged events per second and how many were refused.
    static func ingest(socket: String, citizens: [String], date: String, seconds: Double, connections: Int = 8, window: Int = 256)
        throws -> (rate: Double, failed: Int)
    {
        let failed = Shared(0)
        let acknowledged = Shared(0)
        let group = DispatchGroup()
        let start = now()
        let stop = start + seconds
        for c in 0..<connections {
            let client = try LineClient(path: socket)
            let inFlight = DispatchSemaphore(value: window)
            let sent = Shared(0)
            let finished = Shared(false)
            group.enter()
            Thread.detachNewThread {
                var n = 0
                while now() < stop {
                    inFlight.wait()
                    let citizen = citizens[(c * 7_919 + n * connections) % citizens.count]
                    client.send(#"{"v":1,"op":"event.record","params":{"citizen":"\#(citizen)","kind":"conversation-held","date":"\#(date)"}}"# + "\n")
                    n += 1
                    sent.update { $0 = n }
                }
                finished.update { $0 = true }
            }
            Thread.detachNewThread {
                var received = 0
                while !(finished.value && received >= sent.value) {
                    guard let line = client.readLine() else { break }
                    received += 1
                    if !line.contains(#""ok":true"#) { failed.update { $0 += 1 } }
                    inFlight.signal()
                }
                acknowledged.update { $0 += received }
                group.leave()
            }
        }
        group.wait()
        return (Double(acknowledged.value) / (now() - start), failed.value)
    }

    /// Paced requests: `clients` connections together send `rate` requests per second for `seconds`, each
    /// waiting for its answer; `make(i)` gives the i-th request line. Returns latencies and the rate reached.
    static func paced(socket: String, clients: Int, rate: Double, seconds: Double, make: @escaping @Sendable (Int, Int) -> String)
        throws -> (latencies: Latencies, achieved: Double, failed: Int)
    {
        let all = Shared(Latencies())
        let failed = Shared(0)
        let count = Shared(0)
        let group = DispatchGroup()
        let interval = Double(clients) / rate
        let start = now()
        for c in 0..<clients {
            let client = try LineClient(path: socket)
            group.enter()
            Thread.detachNewThread {
                var mine = Latencies()
                var next = start + interval * Double(c) / Double(clients)
                var i = 0
                while next < start + seconds {
                    let wait = next - now()
                    if wait > 0 { usleep(UInt32(wait * 1_000_000)) }
                    let sent = now()
                    client.send(make(c, i) + "\n")
                    guard let line = client.readLine() else { break }
                    mine.add((now() - sent) * 1_000_000)
                    if !line.contains(#""ok":true"#) { failed.update { $0 += 1 } }
                    i += 1
                    next += interval
                }
                all.update { $0.merge(mine) }
                count.update { $0 += i }
                group.leave()
            }
        }
        group.wait()
        return (all.value, Double(count.value) / (now() - start), failed.value)
    }
}
