import Synchronization
import Testing
import TovholderCore
@testable import TovholderEngine

/// What `status` says of the writer: commit and answer times, recent, in buckets at most a tenth wide.
struct WriteStatsTests {
    @Test func percentilesAreTheUpperBoundOfTheirBucketAndNeverAboveTheLongest() {
        var histogram = LatencyHistogram()
        #expect(histogram.summary == nil)
        for micros in 1...1000 { histogram.record(micros: Int64(micros)) }
        // 500 µs is in [500, 510), 990 in [990, 1000), the longest 1000 in [1000, 1100) but read as itself.
        #expect(histogram.percentile(50) == 510)
        #expect(histogram.percentile(99) == 1000)
        #expect(histogram.percentile(100) == 1000)
        #expect(histogram.summary == LatencyHistogram.Summary(count: 1000, p50: 510, p99: 1000, max: 1000))
        // Above a second: one open bucket, read as the longest seen.
        var slow = LatencyHistogram()
        for micros: Int64 in [3_000, 2_500_000, 7_000_000] { slow.record(micros: micros) }
        #expect(slow.percentile(50) == 7_000_000)
        #expect(slow.percentile(1) == 3_100)
    }

    @Test func everyBucketIsAtMostATenthOfItsValueWideAndTheyTile() {
        var lower: Int64 = 0
        for index in 0..<(LatencyHistogram.buckets - 1) {
            let upper = LatencyHistogram.upperBound(index)!
            #expect(LatencyHistogram.bucket(lower) == index && LatencyHistogram.bucket(upper - 1) == index, "bucket \(index)")
            #expect(lower < 1_000 ? upper - lower == 10 : (upper - lower) * 10 <= lower, "bucket \(index): \(lower)..<\(upper)")
            lower = upper
        }
        #expect(lower == 1_000_000 && LatencyHistogram.bucket(lower) == LatencyHistogram.buckets - 1)
        #expect(LatencyHistogram.upperBound(LatencyHistogram.buckets - 1) == nil)
    }

    @Test func latenciesCoverTheLastOneToTwoMinutesAndCountsTheWholeRun() {
        let now = Mutex<UInt64>(1_000)
        let second: UInt64 = 1_000_000_000
        let stats = WriteStats(window: 60 * second) { now.withLock { $0 } }
        func at(_ seconds: UInt64) { now.withLock { $0 = 1_000 + seconds * second } }
        stats.record(commitNanos: 2_000_000, answers: [5_000_000, 9_000_000])  // at 0 s: 2 ms, answers 5 and 9 ms
        at(59)
        #expect(stats.snapshot.commit?.max == 2_000 && stats.snapshot.answer?.count == 2)
        at(90)
        stats.record(commitNanos: 300_000, answers: [])  // an audit-only commit: no answer
        #expect(stats.snapshot == WriteStats.Snapshot(
            commits: 2, changes: 2,
            commit: LatencyHistogram.Summary(count: 2, p50: 310, p99: 2_000, max: 2_000),
            answer: LatencyHistogram.Summary(count: 2, p50: 5_100, p99: 9_000, max: 9_000)))
        at(125)  // the first minute is over a minute old: only the commit at 90 s is left
        #expect(stats.snapshot.commit == LatencyHistogram.Summary(count: 1, p50: 300, p99: 300, max: 300))
        #expect(stats.snapshot.answer == nil)
        at(600)  // nothing recorded for minutes: nothing recent, the counts stay
        #expect(stats.snapshot == WriteStats.Snapshot(commits: 2, changes: 2, commit: nil, answer: nil))
    }

    /// Through the real writer: each change answered is counted once, every commit is, and a change's
    /// answer time includes its commit.
    @Test func theWriterRecordsItsCommitsAndAnswers() async throws {
        let h = try await Harness(now: "2026-03-10")
        defer { Task { await h.stop() } }
        let before = h.engine.writer.stats.snapshot
        _ = try await h.add("K-1", takeover: "2026-03-01")
        for day in 2...6 { _ = try await h.record("K-1", .conversationHeld, "2026-03-0\(day)") }
        await #expect(throws: DomainError.self) { try await h.record("K-404", .conversationHeld, "2026-03-02") }
        let after = h.engine.writer.stats.snapshot
        #expect(after.changes - before.changes == 7)  // refused or not, each change is answered after a commit
        #expect(after.commits - before.commits == 7)  // one after the other: a commit each, and nothing else to write
        let commit = try #require(after.commit)
        let answer = try #require(after.answer)
        #expect(commit.p50 <= commit.p99 && commit.p99 <= commit.max && commit.max > 0)
        #expect(answer.max >= commit.max)  // only changes committed here: each answer waited for its commit
        #expect(answer.count == after.changes)
    }
}
