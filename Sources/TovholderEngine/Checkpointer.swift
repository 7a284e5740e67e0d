import Logging
import ServiceLifecycle
import TovholderStore

/// Keeps the write-ahead log short by checkpointing it every `interval` on a connection of its own, so
/// that no commit (and no acknowledgement waiting for one) pays for copying the log into the database
/// file. Housekeeping, not domain time: it sleeps on `clock`, the real clock in the daemon.
public struct Checkpointer: Service {
    let store: Store
    let clock: any Clock<Duration>
    let interval: Duration
    let logger: Logger

    public init(store: Store, clock: any Clock<Duration> = ContinuousClock(), interval: Duration = .milliseconds(100), logger: Logger) {
        self.store = store
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        try await cancelWhenGracefulShutdown {
            try await keepRunning("checkpoints", logger: logger, clock: clock) {
                while !Task.isCancelled {
                    try await clock.sleep(for: interval)
                    do {
                        try await store.checkpoint()
                    } catch where Task.isCancelled {
                        return  // stopping: GRDB interrupts the checkpoint, which is no store error
                    }
                }
            }
        }
    }
}
