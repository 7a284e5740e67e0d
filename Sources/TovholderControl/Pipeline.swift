import Synchronization

/// Bounds the requests in flight on one connection and lets its reader wait until every earlier answer
/// has been sent. One reader waits at a time; the answer writer releases. `close()` wakes any waiter
/// (with `false`) when the writer is gone, so a reader never waits on a dead connection.
final class Pipeline: Sendable {
    private struct State {
        var inFlight = 0
        var closed = false
        var waiter: (CheckedContinuation<Bool, Never>, drained: Bool)?
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    /// Takes a slot, waiting while `limit` requests are in flight. False once closed.
    func acquire() async -> Bool {
        await wait(drained: false)
    }

    /// Waits until no request is in flight. False once closed.
    func drained() async -> Bool {
        await wait(drained: true)
    }

    /// An answer was sent.
    func release() {
        let wake = state.withLock { state -> (CheckedContinuation<Bool, Never>)? in
            state.inFlight -= 1
            guard let (continuation, drained) = state.waiter else { return nil }
            if drained ? state.inFlight == 0 : state.inFlight < limit {
                if !drained { state.inFlight += 1 }
                state.waiter = nil
                return continuation
            }
            return nil
        }
        wake?.resume(returning: true)
    }

    func close() {
        let wake = state.withLock { state -> (CheckedContinuation<Bool, Never>)? in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter?.0
        }
        wake?.resume(returning: false)
    }

    private func wait(drained: Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Bool? in
                if state.closed { return false }
                if drained ? state.inFlight == 0 : state.inFlight < limit {
                    if !drained { state.inFlight += 1 }
                    return true
                }
                state.waiter = (continuation, drained)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
