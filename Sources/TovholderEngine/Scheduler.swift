import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import TovholderCore
import TovholderStore

/// The one timer source. The priority queue of timers is the store's `deadline_timer` index (ordered by
/// fire time, updated in the same transaction as the event that changed a deadline); the scheduler keeps
/// only the earliest instant in memory and sleeps on the injected clock until it. Start-up is one query,
/// memory is constant in the number of timers, and a firing is one indexed range scan.
///
/// Sleeps are capped (`maxSleep`) so that a jump of the wall clock is noticed within that time.
public actor Scheduler: Service {
    let store: Store
    let workflow: Workflow
    let clock: any Clock<Duration>
    let wall: any WallClock
    let logger: Logger
    let onQueued: @Sendable () async -> Void
    let batchSize: Int
    let maxSleep: Duration

    /// The earliest armed timer known, in wall milliseconds.
    private(set) var nextWake: Int64? {
        didSet { published.withLock { $0.next = nextWake } }
    }
    private let alarm: Alarm
    private(set) var stats = Stats() {
        didSet { published.withLock { $0.stats = stats } }
    }
    /// `nextWake` and `stats` as last set, for `status` to read without waiting for the actor.
    private nonisolated let published = Mutex<(next: Int64?, stats: Stats)>((nil, Stats()))

    public struct Stats: Sendable {
        public var fired = 0
        /// Of `fired`, the timers that were already due when the scheduler last looked before sleeping: due
        /// while the daemon was down, or armed already due (a back-dated event, an imported history). They
        /// are caught up at once and left out of the lateness, which is the scheduler's own timekeeping.
        public var caughtUp = 0
        public var queued = 0
        public var lastFiredAt: Int64?
        /// Lateness of recent firings (not those caught up), from the timer's instant until its notices
        /// were on disk, in milliseconds (the last 10,000), oldest first.
        public private(set) var recentLateness: [Int64] = []
        /// The same, sorted: kept when firings are recorded, so reading percentiles costs no sort.
        public private(set) var sortedLateness: [Int64] = []

        mutating func record(lateness: [Int64]) {
            recentLateness.append(contentsOf: lateness)
            if recentLateness.count > 10_000 { recentLateness.removeFirst(recentLateness.count - 10_000) }
            sortedLateness = recentLateness.sorted()
        }

        /// The p-th percentile (0–100) of the recent lateness, by the nearest-rank method.
        public func lateness(percentile p: Double) -> Int64? {
            guard !sortedLateness.isEmpty else { return nil }
            let rank = max(Int((Double(sortedLateness.count) * p / 100).rounded(.up)), 1)
            return sortedLateness[min(rank, sortedLateness.count) - 1]
        }
    }

    public init(
        store: Store, workflow: Workflow, clock: any Clock<Duration>, wall: any WallClock, logger: Logger,
        batchSize: Int = 5000, maxSleep: Duration = .seconds(30), onQueued: @escaping @Sendable () async -> Void
    ) {
        self.store = store
        self.workflow = workflow
        self.clock = clock
        self.alarm = Alarm(clock: clock)
        self.wall = wall
        self.logger = logger
        self.batchSize = batchSize
        self.maxSleep = maxSleep
        self.onQueued = onQueued
    }

    /// The wall time at which the loop last decided to sleep: a timer due after it was still to come
    /// then, so its lateness is the scheduler's; one due at or before it is being caught up.
    private var lookedAt: Int64?

    /// Loads the earliest armed timer. Called before the daemon reports ready.
    public func prime() async throws {
        nextWake = try await store.writer.read { try Store.earliestTimer($0) }
    }

    /// Timers armed since the loop last looked: the earliest of them. Written by the command writer's
    /// thread without waiting for the actor; the loop takes it in before every decision.
    private nonisolated let armed = Mutex<Int64?>(nil)

    /// A timer was armed at `at`; wake early if it is the new earliest, and move the published next firing
    /// so that `status` shows it at once. Does not wait for the actor: the writer calls it between a commit
    /// and its acknowledgements.
    public nonisolated func timerArmed(at: Int64) {
        armed.withLock { $0 = min($0 ?? at, at) }
        let earlier = published.withLock { published -> Bool in
            guard published.next.map({ at < $0 }) ?? true else { return false }
            published.next = at
            return true
        }
        if earlier { alarm.ring() }
    }

    /// Takes in the timers armed since the last look.
    private func takeArmed() {
        guard let at = armed.withLock({ value in defer { value = nil }; return value }) else { return }
        if nextWake == nil || at < nextWake! { nextWake = at }
    }

    public var next: Int64? {
        takeArmed()
        return nextWake
    }

    /// Timers the command writer fired in the transaction that derived them already due (an imported
    /// history, a back-dated event), and the notices they queued: caught up, like those due while the
    /// daemon was down.
    private nonisolated let byWriter = Mutex<(fired: Int, queued: Int)>((0, 0))

    /// Counts timers the command writer fired itself. Does not wait for the actor.
    public nonisolated func firedByWriter(fired: Int, queued: Int) {
        byWriter.withLock {
            $0.fired += fired
            $0.queued += queued
        }
    }

    /// The earliest armed timer and the firing statistics, as last published, with the writer's own firings.
    public nonisolated var snapshot: (next: Int64?, stats: Stats) {
        var snapshot = published.withLock { $0 }
        let writer = byWriter.withLock { $0 }
        snapshot.stats.fired += writer.fired
        snapshot.stats.caughtUp += writer.fired
        snapshot.stats.queued += writer.queued
        return snapshot
    }

    /// The earliest armed timer and the count of timers the scheduler itself has fired (not the writer's):
    /// what the watchdog needs to tell a scheduler at work from one that is stuck (`SchedulerWatch`).
    public nonisolated var progress: (next: Int64?, fired: Int) {
        published.withLock { ($0.next, $0.stats.fired) }
    }

    /// The wall clock was moved: re-plan now.
    public func clockMoved() { alarm.ring() }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await keepRunning("timers", logger: self.logger, clock: self.clock) { try await self.loop() }
        }
    }

    func loop() async throws {
        while !Task.isCancelled {
            takeArmed()
            let now = wall.nowMillis()
            if let wake = nextWake, wake <= now {
                try await fireDue(now: now)
                continue
            }
            let cap = maxSleep.components.seconds * 1000
            lookedAt = now
            await alarm.sleep(untilWall: nextWake ?? now + cap, wall: wall, capMillis: cap)
        }
    }

    /// Fires everything due at `now`, batch by batch, then finds the next earliest timer.
    func fireDue(now: Int64) async throws {
        let workflow = self.workflow
        let batchSize = self.batchSize
        let wall = self.wall
        var more = true
        var queued = 0
        while more {
            // Lateness counts until the notices are on disk, not only until the scheduler woke: the instant is
            // read on the writing thread when COMMIT returns, not after the hop back to this actor.
            let (report, committed) = try await store.write(committedAt: { wall.nowMillis() }) { db in
                try workflow.fireDue(db, now: now, limit: batchSize)
            }
            more = report.more
            queued += report.queued
            record(report, now: now, committed: committed)
        }
        // Delivery starts once everything due is queued: a dispatcher woken after each batch competed
        // with the rest of a burst for the writer and the CPU (a Monday-morning burst took longer to queue).
        if queued > 0 { await onQueued() }
        // A timer armed while this query runs is in `armed`, taken in by the loop before it sleeps.
        nextWake = try await store.writer.read { try Store.earliestTimer($0) }
    }

    private func record(_ report: Workflow.FireReport, now: Int64, committed: Int64) {
        if let took = report.indexBuild {
            logger.notice("a timer came due during an import into the empty store; built the deadline indexes it left out", metadata: [
                "duration": "\(took)"
            ])
        }
        guard report.fired > 0 else { return }
        stats.fired += report.fired
        stats.queued += report.queued
        stats.lastFiredAt = now
        let scheduled = report.fireTimes.filter { at in lookedAt.map { at > $0 } ?? false }
        stats.caughtUp += report.fired - scheduled.count
        stats.record(lateness: scheduled.map { committed - $0 })
        logger.debug("timers fired", metadata: ["timers.fired": "\(report.fired)", "notices.queued": "\(report.queued)"])
    }
}

/// Tells the watchdog whether the scheduler makes progress. Behind means that the earliest armed timer
/// is more than `grace` past due; that alone is no fault (a catch-up after downtime, a wall clock that
/// jumped ahead, a burst in batches), so the scheduler is stuck only when it stays behind without firing
/// a single timer for `patience` of monotonic time from when it was first seen behind. A stuck scheduler
/// is what the writer's check cannot see: changes are stored, but no deadline is ever sent.
public struct SchedulerWatch: Sendable {
    public let grace: Int64
    public let patience: Int64
    /// When the scheduler was first seen behind (monotonic milliseconds) and what it had fired then.
    private var behind: (since: Int64, fired: Int)?

    public init(graceMillis: Int64, patienceMillis: Int64) {
        grace = graceMillis
        patience = patienceMillis
    }

    /// Nil while the scheduler keeps up or makes progress; else the instant of the timer it is stuck on.
    public mutating func stuck(next: Int64?, fired: Int, wallNow: Int64, monotonicNow: Int64) -> Int64? {
        guard let next, next < wallNow - grace else {
            behind = nil
            return nil
        }
        guard let seen = behind, seen.fired == fired else {
            behind = (monotonicNow, fired)
            return nil
        }
        return monotonicNow - seen.since >= patience ? next : nil
    }
}
