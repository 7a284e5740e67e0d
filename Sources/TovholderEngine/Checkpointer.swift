import Logging
import ServiceLifecycle
import TovholderStore

/// Keeps the write-ahead log short by checkpointing it on a connection of its own, so that no commit (and
/// no acknowledgement waiting for one) pays for copying the log into the database file. Housekeeping, not
/// domain time: it sleeps on `clock`, the real clock in the daemon.
///
/// While the log changes it checkpoints every `busyInterval` (10 ms), so that each checkpoint copies and
/// syncs only a few pages: a checkpoint's sync of the database file holds up the log's syncs queued behind
/// it on the disk, and with 100 ms between checkpoints (some 1,200 pages at 1,000 events/s) that sync was
/// the acknowledgement tail. Once a checkpoint finds that nothing was committed since the previous one, it
/// waits `idleInterval` (100 ms) instead, so an idle daemon does not wake a hundred times a second.
public struct Checkpointer: Service {
    let store: Store
    let clock: any Clock<Duration>
    let busyInterval: Duration
    let idleInterval: Duration
    let logger: Logger

    public init(
        store: Store, clock: any Clock<Duration> = ContinuousClock(), busyInterval: Duration = .milliseconds(10),
        idleInterval: Duration = .milliseconds(100), logger: Logger
    ) {
        self.store = store
        self.clock = clock
        self.busyInterval = busyInterval
        self.idleInterval = idleInterval
        self.logger = logger
    }

    /// The wait before the next checkpoint, given what this one and the one before found: soon again when
    /// the writer committed in between, or when there is nothing to compare with yet; idle when it did not,
    /// and for a store without a log (in memory).
    func interval(after checkpoint: Store.Checkpoint?, previous: Store.Checkpoint?) -> Duration {
        guard let checkpoint else { return idleInterval }
        guard let previous else { return busyInterval }
        return checkpoint.dataVersion == previous.dataVersion ? idleInterval : busyInterval
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await keepRunning("checkpoints", logger: logger, clock: clock) {
                var wait = idleInterval
                var previous: Store.Checkpoint?
                while !Task.isCancelled {
                    try await clock.sleep(for: wait)
                    let checkpoint: Store.Checkpoint?
                    do {
                        checkpoint = try await store.checkpoint()
                    } catch where Task.isCancelled {
                        return  // stopping: GRDB interrupts the checkpoint, which is no store error
                    }
                    wait = interval(after: checkpoint, previous: previous)
                    previous = checkpoint
                }
            }
        }
    }
}
