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

    public init(
        store: Store, channels: [any NotificationChannel], clock: any Clock<Duration>, wall: any WallClock,
        logger: Logger, maxAttempts: Int = 8, retrySeconds: Int = 30, batchSize: Int = 1000,
        maxSleep: Duration = .seconds(30)
    ) {
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

    /// New notices were queued.
    public func wake() {
        alarm.ring()
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await keepRunning("delivery", logger: self.logger, clock: self.clock) { try await self.loop() }
        }
    }

    func loop() async throws {
        while !Task.isCancelled {
            let now = wall.nowMillis()
            let entries = try await store.writer.read { [batchSize] db in try Store.deliverable(db, now: now, limit: batchSize) }
            if !entries.isEmpty {
                try await deliver(entries, now: now)
                continue
            }
            let next = try await store.writer.read { try Store.nextAttempt($0) }
            await alarm.sleep(untilWall: next ?? now + maxSleepMillis, wall: wall, capMillis: maxSleepMillis)
        }
    }

    /// Delivers one batch, channel by channel, and records every outcome in one transaction.
    func deliver(_ entries: [OutboxEntry], now: Int64) async throws {
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
        let maxAttempts = self.maxAttempts
        let retryMillis = self.retryMillis
        try await store.write { [deliveredIDs, failures] db in
            try Store.markDelivered(db, ids: deliveredIDs, at: now)
            for (entry, message) in failures {
                let attempt = entry.attempts + 1
                let retryAt = attempt >= maxAttempts ? nil : now + retryMillis << Int64(min(attempt - 1, 10))
                try Store.markAttemptFailed(db, id: entry.id, error: message, retryAt: retryAt)
            }
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
