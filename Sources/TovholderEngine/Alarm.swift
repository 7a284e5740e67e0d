import Synchronization

/// An interruptible sleep until a wall-clock instant, on an injected clock: `sleep` returns when the
/// instant has come (or after `cap`), when `ring()` is called (new work arrived earlier), or when the
/// calling task is cancelled (shutdown). A `ring()` that comes while nobody sleeps makes the next sleep
/// return at once, so no wake-up is lost.
///
/// The clock's instant is sampled before the wall time, and the sleep targets an absolute instant: if the
/// wall clock moves between the two readings, the sleep can only end early (and the caller re-plans),
/// never late.
public final class Alarm: Sendable {
    private struct State {
        var sleeper: Task<Void, Never>?
        var rang = false
    }

    private let makeSleep: @Sendable (_ wall: any WallClock, _ target: Int64, _ capMillis: Int64) -> @Sendable () async -> Void
    private let state = Mutex(State())

    public init<C: Clock>(clock: C) where C.Duration == Duration {
        makeSleep = { wall, target, cap in
            let start = clock.now
            let delay = min(max(target - wall.nowMillis(), 0), cap)
            let deadline = start.advanced(by: .milliseconds(delay))
            // Nothing to wait for: do not sleep at all (a test clock would hold a sleep until "now" until it moves).
            if delay == 0 { return {} }
            return { _ = try? await clock.sleep(until: deadline, tolerance: nil) }
        }
    }

    /// Sleeps until wall time `target` (milliseconds), or at most `capMillis`.
    public func sleep(untilWall target: Int64, wall: any WallClock, capMillis: Int64) async {
        let body = makeSleep(wall, target, capMillis)
        let task = Task<Void, Never> { await body() }
        let alreadyRang = state.withLock { state -> Bool in
            defer { state.rang = false }
            state.sleeper = task
            return state.rang
        }
        if alreadyRang { task.cancel() }
        await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            task.cancel()
        }
        state.withLock { $0.sleeper = nil }
    }

    public func ring() {
        state.withLock { state in
            if let sleeper = state.sleeper { sleeper.cancel() } else { state.rang = true }
        }
    }
}
