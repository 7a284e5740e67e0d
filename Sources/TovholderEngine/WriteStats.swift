import Dispatch
import Synchronization

/// How long the writer's work has taken lately, for `status`: each commit (COMMIT with its sync of the
/// log, the disk's part) and each change's answer (from its arrival at the writer's queue until its
/// transaction is on disk: the wait for the batch before, its own batch's work and the commit). An
/// operator whose acknowledgements are slow can tell the disk from the queue without a profiler.
///
/// Counts are since start; the latencies cover the last one to two minutes (two histograms of a minute
/// each, the older dropped as a new one starts), so that a slow hour long ago does not hide today. Each
/// is a histogram with buckets of at most a tenth of their value (10 µs below 1 ms, 100 µs below 10 ms,
/// and so on), so recording costs the same at any rate and reading costs no sort.
public final class WriteStats: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// Transactions committed since start (batches of changes, read audits, the daemon's own work).
        public var commits = 0
        /// Changes (commands) answered after their commit since start.
        public var changes = 0
        /// Batches applied a second time since start, each in savepoints, because something in them was
        /// refused (see `CommandWriter.apply`): a client sending many bad changes costs throughput here.
        public var redone = 0
        public var commit: LatencyHistogram.Summary?
        public var answer: LatencyHistogram.Summary?
    }

    private struct State {
        var commits = 0
        var changes = 0
        var redone = 0
        var commit: WindowedHistogram
        var answer: WindowedHistogram
        /// The last snapshot: current until the next commit or the next window. `status` asks for it with
        /// every request, up to thousands a second, mostly with no commit in between.
        var cached: Snapshot?
    }

    private let state: Mutex<State>
    private let now: @Sendable () -> UInt64

    /// `now`: a monotonic clock in nanoseconds (the same one `Ticket`s are stamped with in the daemon).
    public init(window: UInt64 = 60_000_000_000, now: @escaping @Sendable () -> UInt64 = WriteStats.monotonicNanos) {
        self.now = now
        state = Mutex(State(commit: WindowedHistogram(window: window), answer: WindowedHistogram(window: window)))
    }

    public static let monotonicNanos: @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }

    /// One committed transaction: its COMMIT took `commitNanos`; `answers` are the times from each of its
    /// changes' arrival until the commit returned.
    func record(commitNanos: UInt64, answers: [UInt64]) {
        let at = now()
        state.withLock { state in
            state.commits += 1
            state.changes += answers.count
            state.commit.record(micros: commitNanos / 1000, at: at)
            for answer in answers { state.answer.record(micros: answer / 1000, at: at) }
        }
    }

    /// A batch is applied again, guarded, because something in it was refused.
    func recordRedo() {
        state.withLock { state in
            state.redone += 1
            state.cached = nil
        }
    }

    public var snapshot: Snapshot {
        let at = now()
        return state.withLock { state in
            if let cached = state.cached, cached.commits == state.commits,
                !state.commit.rotates(at: at), !state.answer.rotates(at: at) {
                return cached
            }
            let fresh = Snapshot(
                commits: state.commits, changes: state.changes, redone: state.redone,
                commit: state.commit.merged(at: at).summary, answer: state.answer.merged(at: at).summary)
            state.cached = fresh
            return fresh
        }
    }
}

/// Latencies in microseconds, counted in buckets no wider than a tenth of their lower bound from 1 ms up
/// (10 µs wide below 1 ms), up to 1 s; longer ones share one bucket, read as the longest seen.
public struct LatencyHistogram: Sendable, Equatable {
    /// Percentiles in microseconds: the upper bound of the bucket holding the rank (never above the
    /// longest seen), and the longest.
    public struct Summary: Sendable, Equatable {
        public var count: Int
        public var p50: Int64
        public var p99: Int64
        public var max: Int64
    }

    private var counts = [Int](repeating: 0, count: Self.buckets)
    public private(set) var count = 0
    public private(set) var max: Int64 = 0

    public init() {}

    /// 100 buckets of 10 µs below 1 ms, then 90 of 100 µs, 90 of 1 ms and 90 of 10 ms, and one for 1 s
    /// and more.
    static let buckets = 371

    static func bucket(_ micros: Int64) -> Int {
        switch micros {
        case ..<0: 0
        case ..<1_000: Int(micros / 10)
        case ..<10_000: 100 + Int((micros - 1_000) / 100)
        case ..<100_000: 190 + Int((micros - 10_000) / 1_000)
        case ..<1_000_000: 280 + Int((micros - 100_000) / 10_000)
        default: 370
        }
    }

    /// The first value above bucket `index` (nil for the last, open bucket).
    static func upperBound(_ index: Int) -> Int64? {
        switch index {
        case ..<100: Int64(index + 1) * 10
        case ..<190: 1_000 + Int64(index - 99) * 100
        case ..<280: 10_000 + Int64(index - 189) * 1_000
        case ..<370: 100_000 + Int64(index - 279) * 10_000
        default: nil
        }
    }

    public mutating func record(micros: Int64) {
        counts[Self.bucket(micros)] += 1
        count += 1
        max = Swift.max(max, micros)
    }

    public func merged(with other: LatencyHistogram) -> LatencyHistogram {
        var sum = self
        for index in counts.indices { sum.counts[index] += other.counts[index] }
        sum.count += other.count
        sum.max = Swift.max(max, other.max)
        return sum
    }

    /// The p-th percentile (0–100) by the nearest-rank method, as the upper bound of its bucket; nil when
    /// nothing was recorded.
    public func percentile(_ p: Double) -> Int64? {
        guard count > 0 else { return nil }
        let rank = Swift.max(Int((Double(count) * p / 100).rounded(.up)), 1)
        var seen = 0
        for (index, inBucket) in counts.enumerated() {
            seen += inBucket
            if seen >= rank { return Swift.min(Self.upperBound(index) ?? max, max) }
        }
        return max
    }

    public var summary: Summary? {
        guard let p50 = percentile(50), let p99 = percentile(99) else { return nil }
        return Summary(count: count, p50: p50, p99: p99, max: max)
    }
}

/// Two histograms of `window` each: what was recorded in the last one to two windows.
struct WindowedHistogram: Sendable {
    let window: UInt64
    private var current = LatencyHistogram()
    private var previous = LatencyHistogram()
    private var currentStart: UInt64?

    init(window: UInt64) { self.window = window }

    /// Whether `now` starts a new window (what `merged(at:)` gives then differs from before).
    func rotates(at now: UInt64) -> Bool {
        guard let start = currentStart else { return true }
        return now >= start && now - start >= window
    }

    /// Starts a new window once the current one is `window` old; one that ended more than a window ago is
    /// dropped as well.
    private mutating func rotate(at now: UInt64) {
        guard rotates(at: now) else { return }
        guard let start = currentStart else {
            currentStart = now
            return
        }
        let age = now - start
        previous = age >= 2 * window ? LatencyHistogram() : current
        current = LatencyHistogram()
        currentStart = now - age % window
    }

    mutating func record(micros: UInt64, at now: UInt64) {
        rotate(at: now)
        current.record(micros: Int64(clamping: micros))
    }

    mutating func merged(at now: UInt64) -> LatencyHistogram {
        rotate(at: now)
        return current.merged(with: previous)
    }
}
