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
    /// Where the watchdog's monotonic milliseconds count from.
    let origin = ContinuousClock.now

    static func millis(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    func run() async throws {
        notifier.notify("READY=1\nSTATUS=\(statusLine())")
        logger.notice("tovholderd ready")
        let tick = min(notifier.watchdogInterval.map { $0 / 2 } ?? statusEvery, statusEvery)
        // Last in the group, so first to hear of shutdown: STOPPING=1 goes out before the others stop.
        try? await cancelWhenGracefulShutdown {
            var sinceStatus: Duration = .zero
            let interval = notifier.watchdogInterval.map(Self.millis) ?? 0
            var scheduler = SchedulerWatch(graceMillis: interval, patienceMillis: interval)
            while true {
                try await Task.sleep(for: tick)
                if let interval = notifier.watchdogInterval { await watchdog(interval, scheduler: &scheduler) }
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
    /// once a transaction queued behind every change waiting is committed, and only while the scheduler
    /// fires what is due. A writer that cannot go on (a store locked by another process, a disk that no
    /// longer answers) stops the pings, and so does a scheduler that has fired nothing for a whole
    /// interval while a timer is more than an interval past due; systemd then restarts the service after
    /// `WatchdogSec`, and the restart catches the missed stages up. Either is logged first, so that the
    /// journal says why.
    func watchdog(_ interval: Duration, scheduler watch: inout SchedulerWatch) async {
        let started = ContinuousClock.now
        await engine.writer.flush()
        let took = ContinuousClock.now - started
        if took > interval / 2 {
            logger.warning(
                "the store took long to commit the watchdog's check",
                metadata: ["seconds": "\(took.components.seconds)", "watchdog.seconds": "\(interval.components.seconds)"])
        }
        let (next, fired) = engine.scheduler.progress
        let monotonic = Self.millis(ContinuousClock.now - origin)
        if let due = watch.stuck(next: next, fired: fired, wallNow: engine.wall.nowMillis(), monotonicNow: monotonic) {
            logger.error(
                "timers are not firing: the watchdog is no longer fed",
                metadata: ["timer.due": "\(due.iso8601)", "timers.fired": "\(fired)"])
            return
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
