import Synchronization

/// The result of a queued command, once its transaction is on disk. Anyone may wait for it, before or
/// after it completes.
public final class Ticket: Sendable {
    public typealias Callback = @Sendable (Result<CommandResult, any Error>) -> Void

    private enum State {
        case waiting([Callback])
        case done(Result<CommandResult, any Error>)
    }

    private let state = Mutex(State.waiting([]))
    /// When the command was queued, on `WriteStats`' monotonic clock: its answer time starts here.
    let queuedAt = WriteStats.monotonicNanos()

    init() {}

    func complete(_ result: Result<CommandResult, any Error>) {
        let waiting = state.withLock { state -> [Callback] in
            guard case .waiting(let waiting) = state else { return [] }
            state = .done(result)
            return waiting
        }
        for callback in waiting { callback(result) }
    }

    /// Calls `callback` with the result once the command is applied (at once if it is already), on the
    /// writer's thread: it must only hand the result on.
    public func whenDone(_ callback: @escaping Callback) {
        let done = state.withLock { state -> Result<CommandResult, any Error>? in
            switch state {
            case .done(let result): return result
            case .waiting(var waiting):
                waiting.append(callback)
                state = .waiting(waiting)
                return nil
            }
        }
        if let done { callback(done) }
    }

    public func result() async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            whenDone { continuation.resume(with: $0) }
        }
    }
}
