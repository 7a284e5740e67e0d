import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import TovholderCore
import TovholderStore

/// The single writer. Commands from every connection queue here and are applied in one transaction per
/// batch (group commit): one fsync covers many acknowledgements, and a command is acknowledged only after
/// its transaction is on disk. Each command runs in its own savepoint, so one refused command never
/// touches another. Audit lines for reads ride along in the next batch.
///
/// The writer is a thread of its own, woken through a condition variable, that writes through GRDB's
/// synchronous API (which runs the transaction on the calling thread). As a task, every batch cost
/// several thread wake-ups (the task, GRDB's queue and back, the scheduler actor), and on this VM each
/// wake-up is an expensive futex call.
public final class CommandWriter: Service, Sendable {
    enum Work: Sendable {
        case command(Command, Caller, Ticket)
        case audit(AuditEntry)
        /// Resumed once everything queued before it is on disk (the daemon's own tasks aside).
        case barrier(CheckedContinuation<Void, Never>)
        /// A short piece of the daemon's own store work (the dispatcher recording outcomes). It shares a
        /// transaction, and its fsync, with the commands waiting; while commands wait, one task rides in
        /// each transaction, so that an event never waits behind a long run of them.
        case task(@Sendable (Database) throws -> Void, CheckedContinuation<Void, any Error>)
    }

    let store: Store
    let workflow: Workflow
    let wall: any WallClock
    let logger: Logger
    let onTimerArmed: @Sendable (Int64) -> Void
    let onCaughtUp: @Sendable (_ fired: Int, _ queued: Int) -> Void
    private let queue = WorkQueue()
    /// How long commits and answers take, for `status`.
    public let stats = WriteStats()
    /// The last batch had a refusal: apply the next with a savepoint per command from the start.
    private let guardNext = Atomic<Bool>(false)
    /// At most this many commands per transaction.
    static let maxBatch = 2000
    /// A first load ends when no import batch has come for this many seconds (unless the importer says
    /// so first).
    let firstLoadIdle: TimeInterval

    /// `onTimerArmed` is called on the writer thread after a commit, before its acknowledgements, with the
    /// earliest timer the batch armed; it must not block. `onCaughtUp` is called there too, with the timers
    /// the batch fired itself (derived already due) and the notices they queued, when there were any.
    public init(
        store: Store, workflow: Workflow, wall: any WallClock, logger: Logger,
        onTimerArmed: @escaping @Sendable (Int64) -> Void,
        onCaughtUp: @escaping @Sendable (_ fired: Int, _ queued: Int) -> Void = { _, _ in },
        firstLoadIdle: Duration = .seconds(30)
    ) {
        self.firstLoadIdle = firstLoadIdle.inSeconds
        self.store = store
        self.workflow = workflow
        self.wall = wall
        self.logger = logger
        self.onTimerArmed = onTimerArmed
        self.onCaughtUp = onCaughtUp
    }

    /// Applies a command durably and returns its result (the citizen as it now stands, or an import summary).
    public func submit(_ command: Command, caller: Caller) async throws -> CommandResult {
        try await enqueue(command, caller: caller).result()
    }

    /// Queues a command now, in the caller's order, and returns the ticket that gives its result once it is
    /// on disk. Commands are applied in the order they were queued.
    public func enqueue(_ command: Command, caller: Caller) -> Ticket {
        let ticket = Ticket()
        if !push(.command(command, caller, ticket)) { ticket.complete(.failure(EngineError.shuttingDown)) }
        return ticket
    }

    private func push(_ work: Work) -> Bool { queue.push(work) }

    /// Read audits wait at most this long for a batch to ride in, so that reads do not each cost a commit.
    static let auditDelay = Duration.milliseconds(50)

    /// Records a read in the audit trail. It is written with the next batch of changes, or on its own
    /// within `auditDelay`; `flush()` waits for it.
    public func audit(_ entry: AuditEntry) {
        guard queue.pushAudit(entry) else { return }
        let queue = self.queue
        Task {
            try? await Task.sleep(for: Self.auditDelay)
            queue.ring()
        }
    }

    /// Runs `body` in the writer's next transaction, in its own savepoint; returns once it is on disk.
    /// For the daemon's own short pieces of work, which may be applied after commands queued later.
    public func perform(_ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            if !push(.task(body, continuation)) { continuation.resume(throwing: EngineError.shuttingDown) }
        }
    }

    /// At most this many tasks ride in a transaction when no command is waiting (one when one is).
    static let maxTasks = 5

    /// Returns once everything queued so far (changes and read audits) is on disk.
    public func flush() async {
        await withCheckedContinuation { continuation in
            if !push(.barrier(continuation)) { continuation.resume() }
        }
    }

    public func run() async throws {
        async let stopped: Void = withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                // Named from inside, by the kernel's own file for the calling thread: on Linux, Foundation
                // gives a name set before `start()` to the Thread object only, and `Thread.current.name`
                // set from inside once left the kernel's name unset in a loaded test run (SyncTests found no
                // such thread), so the thread kept its creator's name in `top -H`, `ps -L` and profiles.
                // At most 15 bytes, or Linux refuses the name.
                Self.nameCurrentThread(Self.threadName)
                serve()
                done.resume()
            }
            thread.start()
        }
        try? await gracefulShutdown()
        // Everything queued before the close is still applied; what comes after is refused.
        queue.close()
        await stopped
    }

    /// The writer thread's name, as the kernel shows it.
    static let threadName = "tovholder-write"

    /// Names the calling thread for the kernel (`/proc/thread-self/comm`, Linux 3.17 and later) and for
    /// Foundation.
    static func nameCurrentThread(_ name: String) {
        if let comm = FileHandle(forWritingAtPath: "/proc/thread-self/comm") {
            try? comm.write(contentsOf: Data(name.utf8))
            try? comm.close()
        }
        Thread.current.name = name
    }

    /// The writer thread: applies batches until the queue is closed and empty.
    func serve() {
        // While a first load is under way (Store+FirstLoad): when it ends unless another import batch comes.
        var loadEnds: Date?
        while let batch = queue.next(until: loadEnds) {
            if !batch.isEmpty {
                apply(batch)
                if batch.contains(where: Self.movesFirstLoad) {
                    loadEnds = (try? store.readNow(Store.isFirstLoad)) == true ? Date() + firstLoadIdle : nil
                    continue
                }
            }
            if let ends = loadEnds, Date() >= ends {
                endFirstLoad()
                loadEnds = nil
            }
        }
    }

    /// An import batch (which may begin a first load or go on with it) or its end.
    static func movesFirstLoad(_ work: Work) -> Bool {
        switch work {
        case .command(.importBatch(_, dryRun: false), _, _), .command(.finishImport, _, _): true
        default: false
        }
    }

    /// No import batch came for `firstLoadIdle` during a first load: the importer stopped without saying
    /// it had finished (cut short, or a client that never says so). Builds the indexes the load left out.
    func endFirstLoad() {
        do {
            if let took = try store.writeNow({ try Store.endFirstLoad($0) }) {
                logger.notice("no import batch came for a while; built the deadline indexes the first load left out", metadata: [
                    "duration": "\(took)"
                ])
            }
        } catch {
            // Nothing is lost: the store works without them, and the next timer due or start builds them.
            logger.error("could not build the deadline indexes the first load left out", metadata: ["error": "\(error)"])
        }
    }

    /// At most this many import batches per transaction. Each importing connection works out its next
    /// batch (see `Workflow.prepared`) once the previous one is answered: with every waiting batch in one
    /// transaction, the connections were answered together, worked out their next batches together, and
    /// the writer waited for them meanwhile; taking half of an importer's four leaves the other half
    /// working out theirs while these are written.
    static let maxImports = 2

    /// The next transaction's work, in queue order, and what stays queued: up to `maxBatch` items, of which
    /// one task when a command is waiting, else up to `maxTasks`, and up to `maxImports` import batches
    /// (the first one over that ends the transaction).
    static func nextBatch(_ items: [Work]) -> (batch: [Work], rest: [Work]) {
        let commandWaiting = items.prefix(maxBatch).contains { if case .command = $0 { true } else { false } }
        let taskLimit = commandWaiting ? 1 : maxTasks
        var batch: [Work] = []
        var rest: [Work] = []
        var tasks = 0
        var imports = 0
        var full = false
        for work in items {
            if case .command(.importBatch, _, _) = work {
                imports += 1
                if imports > maxImports { full = true }
            }
            guard batch.count < maxBatch, !full else {
                rest.append(work)
                continue
            }
            if case .task = work {
                guard tasks < taskLimit else {
                    rest.append(work)
                    continue
                }
                tasks += 1
            }
            batch.append(work)
        }
        return (batch, rest)
    }

    typealias Outcome = Result<CommandResult, any Error>

    /// A command or task failed in a batch applied without savepoints: the batch is undone and applied again
    /// with each in a savepoint of its own.
    struct Unguarded: Error {}

    /// Applies a batch in one transaction. It is first applied without a savepoint around each command:
    /// a savepoint makes SQLite copy every page a command touches to the sub-journal before changing it
    /// (an import batch's thousands of pages went to a temporary file, a quarter of the writer's time),
    /// and nearly every batch has nothing to undo. When anything in it fails, that transaction is rolled
    /// back and the batch applied again as it always was, each command in its own savepoint, so that one
    /// refused command never touches another. A dry run, which always undoes itself, keeps its savepoint.
    /// After a batch with a refused command the next batch of commands is guarded from the start: a client
    /// sending bad changes usually sends more of them, and each batch would otherwise be applied twice.
    func apply(_ batch: [Work]) {
        let now = wall.nowMillis()
        let clock = WriteStats.monotonicNanos
        var workDone: UInt64 = 0
        var outcomes: [Outcome?]
        do {
            let earliest: Int64?
            let caughtUp: (fired: Int, queued: Int)
            // Read audits alone (the 50 ms flush under a load of queries) leave the cached counts current.
            let onlyAudit = batch.allSatisfy { if case .audit = $0 { true } else if case .barrier = $0 { true } else { false } }
            func attempt(guarded: Bool) throws -> ([Outcome?], Int64?, (fired: Int, queued: Int)) {
                try store.writeNow(onlyAudit: onlyAudit) { db in
                    defer { workDone = clock() }
                    return try transaction(batch, db, now: now, guarded: guarded)
                }
            }
            do {
                (outcomes, earliest, caughtUp) = try attempt(guarded: guardNext.load(ordering: .relaxed))
            } catch is Unguarded {
                stats.recordRedo()
                (outcomes, earliest, caughtUp) = try attempt(guarded: true)
            }
            let committed = clock()
            stats.record(commitNanos: committed &- workDone, answers: batch.compactMap { work in
                if case .command(_, _, let ticket) = work { committed &- ticket.queuedAt } else { nil }
            })
            // The scheduler hears of new timers before anyone hears "done".
            if let earliest { onTimerArmed(earliest) }
            if caughtUp.fired > 0 { onCaughtUp(caughtUp.fired, caughtUp.queued) }
        } catch {
            logger.error("store write failed; batch refused", metadata: ["error": "\(error)", "batch.size": "\(batch.count)"])
            let refused = Outcome.failure(EngineError.storage("the store could not save the change: \(error)"))
            outcomes = batch.map { _ in refused }
        }
        // Judged by the commands: a batch of read audits, a barrier or the daemon's own tasks says nothing
        // of what a client sends next. Set before any answer goes out, so that what a caller sends after
        // its answer is applied with it.
        var commands = false
        var refused = false
        for (work, outcome) in zip(batch, outcomes) {
            guard case .command = work else { continue }
            commands = true
            if let outcome, !Self.applied(outcome) { refused = true }
        }
        if commands { guardNext.store(refused, ordering: .relaxed) }
        for (work, outcome) in zip(batch, outcomes) {
            switch work {
            case .command(_, _, let ticket): if let outcome { ticket.complete(outcome) }
            case .barrier(let continuation): continuation.resume()
            case .task(_, let continuation):
                if case .failure(let error)? = outcome { continuation.resume(throwing: error) } else { continuation.resume() }
            case .audit: break
            }
        }
    }

    /// The work of one transaction: each item's outcome, the earliest timer armed and the catch-up firings.
    /// Unless `guarded`, commands and tasks run without savepoints and the first failure throws `Unguarded`.
    func transaction(
        _ batch: [Work], _ db: Database, now: Int64, guarded: Bool
    ) throws -> ([Outcome?], Int64?, (fired: Int, queued: Int)) {
        let workflow = self.workflow
        /// Runs `body` in a savepoint when guarded (or asked to); otherwise any failure undoes the batch.
        func step<T>(savepoint: Bool = guarded, _ body: () throws -> T) throws -> T {
            if savepoint { return try Store.savepoint(db, body) }
            let value: T
            do { value = try body() } catch { throw Unguarded() }
            // SQLite ended the transaction (or the work did): applied again, guarded, that is `TransactionLost`.
            guard db.isInsideTransaction else { throw Unguarded() }
            return value
        }
        var outcomes: [Outcome?] = []
        outcomes.reserveCapacity(batch.count)
        var earliest: Int64?
        // Counts, tallies and audit lines of the commands kept, written together before the commit.
        let tallies = Tallies()
        for work in batch {
            switch work {
            case .audit(let entry):
                tallies.audits.append(entry)
                outcomes.append(nil)
            case .barrier:
                outcomes.append(nil)
            case .task(let body, _):
                do {
                    try step { try body(db) }
                    outcomes.append(nil)
                } catch let error as Unguarded {
                    throw error
                } catch let lost as Store.TransactionLost {
                    throw lost
                } catch {
                    outcomes.append(.failure(error))
                }
            case .command(let command, let caller, _):
                var result: Outcome
                do {
                    let mine = Tallies()
                    let (value, timer) = try step(savepoint: guarded || command.isDryRun) {
                        try workflow.apply(command, db, now: now, caller: caller, tallies: mine)
                    }
                    tallies.merge(mine)
                    if let timer { earliest = min(earliest ?? timer, timer) }
                    result = .success(value)
                } catch let error as Unguarded {
                    throw error
                } catch let lost as Store.TransactionLost {
                    throw lost  // the whole batch is refused: none of it is stored
                } catch let error as DomainError {
                    result = .failure(error)
                } catch let refused as ImportRefused {
                    result = .success(.imported(refused.summary))  // rolled back; the caller gets every problem
                    tallies.audits += refused.audits  // what it disclosed or checked is audited all the same
                } catch {
                    // Its savepoint is rolled back; the other commands of the batch go on.
                    result = .failure(EngineError.storage("the store could not save the change: \(error)"))
                }
                // An import audits each citizen it stores; everything else is audited here, a dry run too.
                if command.citizenID != nil || !Self.applied(result) || command.isDryRun {
                    tallies.audits.append(AuditEntry(
                        at: now, uid: caller.uid, pid: caller.pid, caller: caller.name, action: command.action,
                        citizen: command.citizenID?.rawValue, outcome: Self.outcome(result, dryRun: command.isDryRun)))
                }
                outcomes.append(result)
            }
        }
        let caughtUp = tallies.caughtUp
        try tallies.flush(db)
        return (outcomes, earliest, caughtUp)
    }

    static func applied(_ result: Result<CommandResult, any Error>) -> Bool {
        if case .success(.imported(let summary)) = result { return summary.applied }
        if case .success = result { return true }
        return false
    }

    /// The audit outcome; `dryRun`: the command only checked, so a success is not an "ok".
    static func outcome(_ result: Result<CommandResult, any Error>, dryRun: Bool = false) -> String {
        switch result {
        case .success(.imported(let summary)) where !summary.applied: "invalid"
        case .success: dryRun ? "dry-run" : "ok"
        case .failure(let error as DomainError): error.kind.rawValue
        case .failure: "error"
        }
    }
}
