import Logging
import ServiceLifecycle
import Synchronization
import TovholderEngine

/// Adds the demo citizens on an empty store (with --demo), then stays up until shutdown so the group
/// treats it as a running service. `finished` lets the readiness report wait for it.
final class DemoSeeder: Service, Sendable {
    let engine: Engine
    let enabled: Bool
    let caseworkers: [String]
    let logger: Logger
    private let done = Mutex<[CheckedContinuation<Void, Never>]?>([])

    init(engine: Engine, enabled: Bool, caseworkers: [String], logger: Logger) {
        self.engine = engine
        self.enabled = enabled
        self.caseworkers = caseworkers
        self.logger = logger
    }

    func run() async throws {
        if enabled, (try engine.status()).citizens == 0 {
            try await DemoData.seed(engine, caseworkers: caseworkers)
            logger.notice("demo citizens added")
        }
        let waiters = done.withLock { waiters -> [CheckedContinuation<Void, Never>] in
            let list = waiters ?? []
            waiters = nil
            return list
        }
        for waiter in waiters { waiter.resume() }
        try? await gracefulShutdown()
    }

    /// Returns once seeding is over.
    func finished() async {
        await withCheckedContinuation { continuation in
            let already = done.withLock { waiters -> Bool in
                guard waiters != nil else { return true }
                waiters!.append(continuation)
                return false
            }
            if already { continuation.resume() }
        }
    }
}

/// Runs `then` once the seeder has finished.
struct SequencedService<Next: Service>: Service {
    let after: DemoSeeder
    let then: Next

    func run() async throws {
        await after.finished()
        try await then.run()
    }
}
