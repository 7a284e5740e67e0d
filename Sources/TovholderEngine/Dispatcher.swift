import GRDB
import Logging
import ServiceLifecycle
import TovholderChannels
import TovholderCore
import TovholderStore

/// Delivers queued notices from the outbox through their channels and records each outcome. A failed
/// attempt is retried with exponential backoff; after `maxAttempts` the notice is marked failed (shown
/// by `tovholderctl notifications --failed`). Delivery is at least once: a crash between delivering and
/// recording repeats the attempt, with the same idempotency key.
public actor Dispatcher: Service {
    let store: Store
    let channels: [String: any NotificationChannel]
    let clock: any Clock<Duration>
    let wall: any WallClock
    let logger: Logger
    let maxAttempts: Int
    let retryMillis: Int64
    let batchSize: Int
    /// Every sleep ends by then, so a jump of the wall clock is noticed.
    let maxSleepMillis: Int64
    private let alarm: Alarm
    /// Runs a short piece of store work durably: the command writer's `perform`, so that outcomes share
    /// transactions with caseworkers' events instead of making them wait.
    let perform: Perform
    public typealias Perform = @Sendable (@escaping @Sendable (Database) throws -> Void) async throws -> Void
    /// At most this many outcomes are recorded per piece of work.
    static let recordChunk = 200

    public init(
        store: Store, channels: [any NotificationChannel], clock: any Clock<Duration>, wall: any WallClock,
        logger: Logger, maxAttempts: Int = 8, retrySeconds: Int = 30, batchSize: Int = 5000,
        maxSleep: Duration = .seconds(30), perform: @escaping Perform
    ) {
        self.perform = perform
        self.maxSleepMillis = maxSleep.components.seconds * 1000
        self.store = store
        self.channels = Dictionary(channels.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.clock = clock
        self.alarm = Alarm(clock: clock)
        self.wall = wall
        self.logger = logger
        self.maxAttempts = maxAttempts
        self.retryMillis = Int64(retrySeconds) * 1000
        self.batchSize = batchSize
    }

    /// New notices were queued. Does not wait for the actor: the command writer's thread calls it.
    public nonisolated func wake() {
        alarm.ring()
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await keepRunning("delivery", logger: self.logger, clock: self.clock) { try await self.loop() }
        }
    }

    /// Reads and delivers batch after batch. A batch's outcomes are recorded while the next batch is read
    /// and delivered (the next read starts after the last entry handed out), so the writer's share of the
    /// work overlaps the rest; at most one batch is being recorded at a time.
    func loop() async throws {
        var recording: Task<Void, any Error>?
        var after: (at: Int64, id: Int64)?
        defer { recording?.cancel() }
        while !Task.isCancelled {
            let now = wall.nowMillis()
            let entries = try await store.writer.read { [batchSize, after] db in
                try Store.deliverable(db, now: now, after: after, limit: batchSize)
            }
            if !entries.isEmpty {
                let outcomes = await deliver(entries)
                try await recording?.value
                recording = Task { try await self.record(outcomes, now: now) }
                after = entries.last.map { ($0.nextAttemptAt, $0.id) }
                continue
            }
            if let pending = recording {
                // Everything handed out is being recorded: wait for it, then read from the start again
                // (retries that became due, and anything a failed recording left pending).
                recording = nil
                after = nil
                try await pending.value
                continue
            }
            let next = try await store.writer.read { try Store.nextAttempt($0) }
            await alarm.sleep(untilWall: next ?? now + maxSleepMillis, wall: wall, capMillis: maxSleepMillis)
        }
    }

    /// What happened to each notice of a batch.
    struct Outcomes: Sendable {
        var delivered: [Int64] = []
        var failed: [(OutboxEntry, String)] = []
    }

    /// Delivers one batch, channel by channel.
    func deliver(_ entries: [OutboxEntry]) async -> Outcomes {
        var deliveredIDs: [Int64] = []
        var failures: [(OutboxEntry, String)] = []
        let byChannel = Dictionary(grouping: entries, by: { $0.notice.channel })
        for (name, group) in byChannel.sorted(by: { $0.key < $1.key }) {
            guard let channel = channels[name] else {
                failures += group.map { ($0, "channel '\(name)' is not enabled") }
                continue
            }
            let results = await channel.deliver(group.map(\.notice))
            for (entry, result) in zip(group, results) {
                switch result {
                case .success: deliveredIDs.append(entry.id)
                case .failure(let error): failures.append((entry, error.message))
                }
            }
        }
        return Outcomes(delivered: deliveredIDs, failed: failures)
    }

    /// Records a batch's outcomes: delivered, or failed and retried later (or failed for good).
    func record(_ outcomes: Outcomes, now: Int64) async throws {
        let (deliveredIDs, failures) = (outcomes.delivered, outcomes.failed)
        let maxAttempts = self.maxAttempts
        let retryMillis = self.retryMillis
        // In pieces of a few hundred, queued together: with no event waiting the writer applies several in
        // one transaction; while events wait, one piece rides with them in each, so that an event never
        // waits behind the marking of a whole backlog batch (acknowledgement p99 was 12 ms while one drained).
        let perform = self.perform
        try await withThrowingTaskGroup(of: Void.self) { group in
            for start in stride(from: 0, to: max(deliveredIDs.count, failures.count), by: Self.recordChunk) {
                let delivered = Array(deliveredIDs.dropFirst(start).prefix(Self.recordChunk))
                let failed = Array(failures.dropFirst(start).prefix(Self.recordChunk))
                group.addTask {
                    try await perform { db in
                        try Store.markDelivered(db, ids: delivered, at: now)
                        for (entry, message) in failed {
                            let attempt = entry.attempts + 1
                            let retryAt = attempt >= maxAttempts ? nil : now + retryMillis << Int64(min(attempt - 1, 10))
                            try Store.markAttemptFailed(db, id: entry.id, error: message, retryAt: retryAt)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        for (entry, message) in failures.prefix(5) {
            logger.warning("delivery failed", metadata: [
                "notification.channel": "\(entry.notice.channel)", "deadline.rule": "\(entry.notice.rule)",
                "citizen.id": "\(entry.notice.citizen)", "notification.attempt": "\(entry.attempts + 1)",
                "error": "\(message)",
            ])
        }
    }
}
