import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import TovholderChannels
import TovholderCore
import TovholderStore

/// The engine: the writer, the scheduler and the dispatcher wired together over one store, plus the
/// audited read side that the control socket serves.
public final class Engine: Sendable {
    public let store: Store
    public let workflow: Workflow
    public let writer: CommandWriter
    public let scheduler: Scheduler
    public let dispatcher: Dispatcher
    public let checkpointer: Checkpointer
    public let wall: any WallClock
    public let startedAt: Int64
    let logger: Logger
    private let countsCache = Mutex<Counts?>(nil)

    public init(
        store: Store, workflow: Workflow, channels: [any NotificationChannel], clock: any Clock<Duration>,
        wall: any WallClock, logger: Logger, maxAttempts: Int = 8, retrySeconds: Int = 30,
        replanEvery: Duration = .seconds(30), firstLoadIdle: Duration = .seconds(30)
    ) {
        self.store = store
        self.workflow = workflow
        self.wall = wall
        self.logger = logger
        self.startedAt = wall.nowMillis()
        // The writer tells the scheduler of new timers (and of those it fired itself, waking the dispatcher
        // for their notices), the scheduler wakes the dispatcher, the dispatcher records through the writer:
        // the writer's links are made once the scheduler and the dispatcher exist.
        let armed = Late<Scheduler>()
        let delivery = Late<Dispatcher>()
        let writer = CommandWriter(
            store: store, workflow: workflow, wall: wall, logger: logger,
            onTimerArmed: { armed.value?.timerArmed(at: $0) },
            onCaughtUp: { fired, queued in
                armed.value?.firedByWriter(fired: fired, queued: queued)
                if queued > 0 { delivery.value?.wake() }
            }, firstLoadIdle: firstLoadIdle)
        let dispatcher = Dispatcher(
            store: store, channels: channels, clock: clock, wall: wall, logger: logger, maxAttempts: maxAttempts,
            retrySeconds: retrySeconds, maxSleep: replanEvery, perform: { try await writer.perform($0) })
        let scheduler = Scheduler(
            store: store, workflow: workflow, clock: clock, wall: wall, logger: logger, maxSleep: replanEvery,
            onQueued: { dispatcher.wake() })
        armed.set(scheduler)
        delivery.set(dispatcher)
        checkpointer = Checkpointer(store: store, logger: logger)
        self.writer = writer
        self.dispatcher = dispatcher
        self.scheduler = scheduler
    }

    /// The long-running parts, in dependency order for a ServiceGroup.
    public var services: [any Service] { [writer, dispatcher, scheduler, checkpointer] }

    /// Brings the store in line with the current rulebook and arms the scheduler. Deadlines are derived
    /// again only when the rulebook, calendar or send hour changed since they were stored; otherwise start-up
    /// reads one row. Returns the number of citizens derived again.
    @discardableResult
    public func recover() async throws -> Int {
        // A first load cut short (the daemon stopped before it ended) left indexes out; the timers are
        // armed through one of them.
        if let took = try await store.write({ try Store.endFirstLoad($0) }) {
            logger.notice("an import into the empty store did not finish; built the deadline indexes it left out", metadata: [
                "duration": "\(took)"
            ])
        }
        let fingerprint = workflow.fingerprint
        let stored = try await store.writer.read { try Store.meta($0, "derivation.fingerprint") }
        var count = 0
        if stored != fingerprint {
            if stored != nil { logger.notice("rulebook changed; deriving every citizen's deadlines again") }
            var after = ""
            let workflow = self.workflow
            while true {
                let (derived, last) = try await store.write { [after] db -> (Int, String?) in
                    let ids = try Store.citizenIDs(db, after: after, limit: 500)
                    for id in ids {
                        if let citizen = try Store.citizen(db, id) { try workflow.rederive(db, citizen: citizen) }
                    }
                    if ids.isEmpty { try Store.setMeta(db, "derivation.fingerprint", fingerprint) }
                    return (ids.count, ids.last?.rawValue)
                }
                count += derived
                guard let last else { break }
                after = last
            }
            if stored != nil { logger.notice("deadlines derived again", metadata: ["citizens.count": "\(count)"]) }
        }
        try await scheduler.prime()
        return count
    }

    // MARK: Simulated time

    /// Sets the simulated wall clock (only with an AdjustableWallClock) and lets the timers re-plan.
    public func setClock(nowMillis: Int64, caller: Caller) async throws {
        guard let clock = wall as? AdjustableWallClock else {
            throw EngineError.notSimulated
        }
        clock.set(nowMillis: nowMillis)
        writer.audit(AuditEntry(
            at: wall.nowMillis(), uid: caller.uid, pid: caller.pid, caller: caller.name, action: "clock.set", citizen: nil,
            outcome: "ok"))
        await scheduler.clockMoved()
        dispatcher.wake()
    }

    // MARK: Changes

    /// Applies a single-citizen command and returns the citizen as it now stands.
    public func submit(_ command: Command, caller: Caller) async throws -> CitizenSnapshot {
        try await snapshot(of: enqueue(command, caller: caller))
    }

    /// Queues a change now, in the caller's order; see `snapshot(of:)` for its result.
    public func enqueue(_ command: Command, caller: Caller) -> Ticket { writer.enqueue(command, caller: caller) }

    /// The citizen as a single-citizen change left them, once it is on disk.
    public func snapshot(of ticket: Ticket) async throws -> CitizenSnapshot {
        try Self.snapshot(.success(try await ticket.result()))
    }

    /// The citizen as a single-citizen change left them, from the change's result.
    public static func snapshot(_ result: Result<CommandResult, any Error>) throws -> CitizenSnapshot {
        guard let snapshot = try result.get().snapshot else {
            preconditionFailure("not a single-citizen command")
        }
        return snapshot
    }

    /// Imports a batch, all or nothing (see `Workflow.importBatch`). Each citizen is worked out here, on
    /// the caller's thread, before the batch goes to the writer (see `Workflow.prepared`).
    public func importBatch(_ items: [ImportItem], dryRun: Bool = false, caller: Caller) async throws -> ImportSummary {
        let items = workflow.prepared(items, now: wall.nowMillis())
        guard case .imported(let summary) = try await writer.submit(.importBatch(items, dryRun: dryRun), caller: caller) else {
            preconditionFailure("an import returns a summary")
        }
        return summary
    }

    /// An import has sent its last batch. When it was a first load into an empty store, builds the
    /// deadline indexes it left out (see Store+FirstLoad) and returns how long that took; the writer takes
    /// nothing else meanwhile.
    public func finishImport(caller: Caller) async throws -> Duration? {
        guard case .importFinished(let built) = try await writer.submit(.finishImport, caller: caller) else {
            preconditionFailure("finishing an import returns whether indexes were built")
        }
        return built
    }

    // MARK: Reads (audited where they show a citizen's data)

    public func citizen(_ id: CitizenID, caller: Caller) throws -> CitizenSnapshot {
        let snapshot = try read { db -> CitizenSnapshot? in
            guard let citizen = try Store.citizen(db, id) else { return nil }
            return CitizenSnapshot(
                citizen: citizen, events: try Store.events(db, citizen: id), deadlines: try Store.deadlines(db, citizen: id))
        }
        auditRead("citizen.show", citizen: id.rawValue, caller: caller, outcome: snapshot == nil ? "not-found" : "ok")
        guard let snapshot else { throw DomainError.notFound("no citizen \(id)") }
        return snapshot
    }

    public func citizens(caseworker: String?, after: String?, limit: Int, caller: Caller) throws -> [Citizen] {
        let list = try read { try Store.citizens($0, caseworker: caseworker, after: after, limit: limit) }
        auditRead("citizen.list", citizen: nil, caller: caller, outcome: "ok")
        return list
    }

    public func deadlines(_ filter: DeadlineFilter, caller: Caller) throws -> [StoredDeadline] {
        let (exists, list) = try read { db -> (Bool, [StoredDeadline]) in
            if let id = filter.citizen, try Store.citizen(db, id) == nil { return (false, []) }
            return (true, try Store.deadlines(db, matching: filter))
        }
        auditRead("deadlines", citizen: filter.citizen?.rawValue, caller: caller, outcome: exists ? "ok" : "not-found")
        guard exists else { throw DomainError.notFound("no citizen \(filter.citizen!)") }
        return list
    }

    public func notifications(state: OutboxEntry.State?, limit: Int, caller: Caller) throws -> [OutboxEntry] {
        let list = try read { try Store.outbox($0, state: state, limit: limit) }
        auditRead("notifications", citizen: nil, caller: caller, outcome: "ok")
        return list
    }

    /// The audit trail, newest first, including every read audited before this call.
    public func audit(citizen: CitizenID?, limit: Int) async throws -> [AuditEntry] {
        await writer.flush()
        return try read { try Store.audit($0, citizen: citizen?.rawValue, limit: limit) }
    }

    public struct Status: Sendable {
        public var citizens: Int
        public var events: Int
        public var deadlines: [DeadlineStatus: Int]
        public var outbox: [OutboxEntry.State: Int]
        public var nextFiring: Int64?
        public var today: LocalDate
        public var timers: Scheduler.Stats
        public var writes: WriteStats.Snapshot
    }

    public func status() throws -> Status {
        let today = workflow.today(wall.nowMillis())
        let (next, timers) = scheduler.snapshot
        let counts = try storedCounts(today: today)
        return Status(
            citizens: counts.citizens, events: counts.events, deadlines: counts.deadlines, outbox: counts.outbox,
            nextFiring: next, today: today, timers: timers, writes: writer.stats.snapshot)
    }

    struct Counts: Sendable {
        var generation: UInt64
        var today: LocalDate
        var citizens: Int
        var events: Int
        var deadlines: [DeadlineStatus: Int]
        var outbox: [OutboxEntry.State: Int]
    }

    /// The counts `status` shows, read again only after a write was committed or the day changed, so that
    /// frequent status requests cost no query.
    func storedCounts(today: LocalDate) throws -> Counts {
        let generation = store.generation.current
        if let cached = countsCache.withLock({ $0 }), cached.generation == generation, cached.today == today {
            return cached
        }
        let counts = try read { db in
            Counts(
                generation: generation, today: today, citizens: try Store.citizenCount(db), events: try Store.eventCount(db),
                deadlines: try Store.statusCounts(db, today: today), outbox: try Store.outboxCounts(db))
        }
        countsCache.withLock { $0 = counts }
        return counts
    }

    /// Reads on the calling thread. A read from SQLite's page cache takes microseconds, less than the two
    /// thread hops an asynchronous read costs; WAL readers never wait for the writer.
    func read<T>(_ body: (Database) throws -> T) throws -> T { try store.readNow(body) }

    func auditRead(_ action: String, citizen: String?, caller: Caller, outcome: String) {
        writer.audit(AuditEntry(
            at: wall.nowMillis(), uid: caller.uid, pid: caller.pid, caller: caller.name, action: action,
            citizen: citizen, outcome: outcome))
    }
}

/// A reference set once, after the closures that read it were made.
final class Late<Value: Sendable>: Sendable {
    private let stored = Mutex<Value?>(nil)
    var value: Value? { stored.withLock { $0 } }
    func set(_ value: Value) { stored.withLock { $0 = value } }
}
