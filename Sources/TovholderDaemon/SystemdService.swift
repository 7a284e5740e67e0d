import Logging
import ServiceLifecycle
import TovholderCore
import TovholderEngine
import TovholderStore
import TovholderSystemd

/// Reports to systemd: READY=1 when it starts (the composition root starts the group only after the
/// store is open, timers are armed and the socket listens), STATUS= with counts every few seconds,
/// WATCHDOG=1 at half the interval systemd asks for — each only once the writer has committed a
/// transaction queued for the check — and STOPPING=1 on graceful shutdown.
struct SystemdService: Service {
    let notifier: any ServiceManagerNotifier
    let engine: Engine
    let logger: Logger
    let statusEvery: Duration = .seconds(10)

    func run() async throws {
        notifier.notify("READY=1\nSTATUS=\(statusLine())")
        logger.notice("tovholderd ready")
        let tick = min(notifier.watchdogInterval.map { $0 / 2 } ?? statusEvery, statusEvery)
        // Last in the group, so first to hear of shutdown: STOPPING=1 goes out before the others stop.
        try? await cancelWhenGracefulShutdown {
            var sinceStatus: Duration = .zero
            while true {
                try await Task.sleep(for: tick)
                if let interval = notifier.watchdogInterval { await watchdog(interval) }
                sinceStatus += tick
                if sinceStatus >= statusEvery {
                    sinceStatus = .zero
                    notifier.notify("STATUS=\(statusLine())")
                }
            }
        }
        notifier.notify("STOPPING=1\nSTATUS=stopping")
    }

    /// WATCHDOG=1 says that the daemon makes progress, not only that this task still runs: it goes out
    /// once a transaction queued behind every change waiting is committed. A writer that cannot go on (a
    /// store locked by another process, a disk that no longer answers) stops the pings, and systemd
    /// restarts the service after `WatchdogSec`; a check that took more than half the interval is logged
    /// first, so that the journal says why.
    func watchdog(_ interval: Duration) async {
        let started = ContinuousClock.now
        await engine.writer.flush()
        let took = ContinuousClock.now - started
        if took > interval / 2 {
            logger.warning(
                "the store took long to commit the watchdog's check",
                metadata: ["seconds": "\(took.components.seconds)", "watchdog.seconds": "\(interval.components.seconds)"])
        }
        notifier.notify("WATCHDOG=1")
    }

    func statusLine() -> String {
        guard let status = try? engine.status() else { return "running" }
        let overdue = status.deadlines[.overdue] ?? 0
        let pending = status.deadlines[.pending] ?? 0
        return "\(status.citizens) citizens, \(pending) pending and \(overdue) overdue deadlines, "
            + "\(status.outbox[.pending] ?? 0) notices queued"
    }
}
