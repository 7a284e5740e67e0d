import Logging

/// Runs a service's loop and, when it fails (a store that cannot be written: disk full, I/O error), logs
/// the error and runs it again after `backoff` on `clock`, until the task is cancelled. A failing store
/// pauses the work; it does not end the daemon.
func keepRunning(
    _ what: String, logger: Logger, clock: any Clock<Duration>, backoff: Duration = .seconds(1),
    _ body: () async throws -> Void
) async throws {
    while !Task.isCancelled {
        do {
            try await body()
        } catch is CancellationError {
            return
        } catch {
            logger.error("\(what) paused after a store error; retrying", metadata: ["error": "\(error)"])
            try await clock.sleep(for: backoff)
        }
    }
}
