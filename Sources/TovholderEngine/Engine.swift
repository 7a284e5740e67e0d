import GRDB
import Logging
import ServiceLifecycle
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
    public let wall: any WallClock
    public let startedAt: Int64
    let logger: Logger

    public init(
        store: Store, workflow: Workflow, channels: [any NotificationChannel], clock: any Clock<Duration>,
        wall: any WallClock, logger: Logger, maxAttempts: Int = 8, retrySeconds: Int = 30,
        replanEvery: Duration = .seconds(30)
    ) {
        self.store = store
        self.workflow = workflow
        self.wall = wall
        self.logger = logger
        self.startedAt = wall.nowMillis()
        let dispatcher = Dispatcher(
            store: store, channels: channels, clock: clock, wall: wall, logger: logger, maxAttempts: maxAttempts,
            retrySeconds: retrySeconds, maxSleep: replanEvery)
        let scheduler = Scheduler(
            store: store, workflow: workflow, clock: clock, wall: wall, logger: logger, maxSleep: replanEvery,
            onQueued: { await dispatcher.wake() })
        self.dispatcher = dispatcher
        self.scheduler = scheduler
        self.writer = CommandWriter(
            store: store, workflow: workflow, wall: wall, logger: logger,
            onTimerArmed: { await scheduler.timerArmed(at: $0) })
    }

    /// The long-running parts, in dependency order for a ServiceGroup.
    public var services: [any Service] { [writer, dispatcher, scheduler] }

    /// Brings the store in line with the current rulebook and arms the scheduler. Deadlines are derived
    /// again only when the rulebook, calendar or send hour changed since they were stored; otherwise start-up
    /// reads one row. Returns the number of citizens derived again.
    @discardableResult
    public func recover() async throws -> Int {
        let fingerprint = workflow.fingerprint
        let stored = try await store.writer.read { try Store.meta($0, "derivation.fingerprint") }
        var count = 0
        if stored != fingerprint {
            if stored != nil { logger.notice("rulebook changed; deriving every citizen's deadlines again") }
            var after = ""
            let workflow = self.workflow
            while true {
                let (derived, last) = try await store.writer.write { [after] db -> (Int, String?) in
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
        await dispatcher.wake()
    }

    // MARK: Changes

    /// Applies a single-citizen command and returns the citizen as it now stands.
    public func submit(_ command: Command, caller: Caller) async throws -> CitizenSnapshot {
        guard let snapshot = try await writer.submit(command, caller: caller).snapshot else {
            preconditionFailure("\(command.action) is not a single-citizen command")
        }
        return snapshot
    }

    /// Imports a batch, all or nothing (see `Workflow.importBatch`).
    public func importBatch(_ items: [ImportItem], dryRun: Bool = false, caller: Caller) async throws -> ImportSummary {
        guard case .imported(let summary) = try await writer.submit(.importBatch(items, dryRun: dryRun), caller: caller) else {
            preconditionFailure("an import returns a summary")
        }
        return summary
    }

    // MARK: Reads (audited where they show a citizen's data)

    public func citizen(_ id: CitizenID, caller: Caller) async throws -> CitizenSnapshot {
        let snapshot = try await store.writer.read { db -> CitizenSnapshot? in
            guard let citizen = try Store.citizen(db, id) else { return nil }
            return CitizenSnapshot(
                citizen: citizen, events: try Store.events(db, citizen: id), deadlines: try Store.deadlines(db, citizen: id))
        }
        auditRead("citizen.show", citizen: id.rawValue, caller: caller, outcome: snapshot == nil ? "not-found" : "ok")
        guard let snapshot else { throw DomainError.notFound("no citizen \(id)") }
        return snapshot
    }

    public func citizens(caseworker: String?, after: String?, limit: Int, caller: Caller) async throws -> [Citizen] {
        let list = try await store.writer.read { try Store.citizens($0, caseworker: caseworker, after: after, limit: limit) }
        auditRead("citizen.list", citizen: nil, caller: caller, outcome: "ok")
        return list
    }

    public func deadlines(_ filter: DeadlineFilter, caller: Caller) async throws -> [StoredDeadline] {
        let (exists, list) = try await store.writer.read { db -> (Bool, [StoredDeadline]) in
            if let id = filter.citizen, try Store.citizen(db, id) == nil { return (false, []) }
            return (true, try Store.deadlines(db, matching: filter))
        }
        auditRead("deadlines", citizen: filter.citizen?.rawValue, caller: caller, outcome: exists ? "ok" : "not-found")
        guard exists else { throw DomainError.notFound("no citizen \(filter.citizen!)") }
        return list
    }

    public func notifications(state: OutboxEntry.State?, limit: Int, caller: Caller) async throws -> [OutboxEntry] {
        let list = try await store.writer.read { try Store.outbox($0, state: state, limit: limit) }
        auditRead("notifications", citizen: nil, caller: caller, outcome: "ok")
        return list
    }

    public func audit(citizen: CitizenID?, limit: Int) async throws -> [AuditEntry] {
        try await store.writer.read { try Store.audit($0, citizen: citizen?.rawValue, limit: limit) }
    }

    public struct Status: Sendable {
        public var citizens: Int
        public var events: Int
        public var deadlines: [DeadlineStatus: Int]
        public var outbox: [OutboxEntry.State: Int]
        public var nextFiring: Int64?
        public var today: LocalDate
        public var timers: Scheduler.Stats
    }

    public func status() async throws -> Status {
        let today = workflow.today(wall.nowMillis())
        let next = await scheduler.next
        let timers = await scheduler.statistics
        return try await store.writer.read { db in
            Status(
                citizens: try Store.citizenCount(db), events: try Store.eventCount(db),
                deadlines: try Store.statusCounts(db, today: today), outbox: try Store.outboxCounts(db),
                nextFiring: next, today: today, timers: timers)
        }
    }

    func auditRead(_ action: String, citizen: String?, caller: Caller, outcome: String) {
        writer.audit(AuditEntry(
            at: wall.nowMillis(), uid: caller.uid, pid: caller.pid, caller: caller.name, action: action,
            citizen: citizen, outcome: outcome))
    }
}
