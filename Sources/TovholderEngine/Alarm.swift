import Synchronization

/// An interruptible sleep on an injected clock: `sleep` returns when the time has passed, when `ring()`
/// is called (new work arrived earlier), or when the calling task is cancelled (shutdown).
/// A `ring()` that comes while nobody sleeps makes the next sleep return at once, so no wake-up is lost.
public final class Alarm: Sendable {
    private struct State {
        var sleeper: Task<Void, Never>?
        var rang = false
    }

    private let clock: any Clock<Duration>
    private let state = Mutex(State())

    public init(clock: any Clock<Duration>) { self.clock = clock }

    public func sleep(milliseconds: Int64) async {
        let clock = self.clock
        let task = Task<Void, Never> { _ = try? await clock.sleep(for: .milliseconds(max(milliseconds, 0))) }
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
