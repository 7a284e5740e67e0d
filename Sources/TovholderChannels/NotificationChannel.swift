import TovholderCore

/// A way to deliver notices: journal, spool file, and (later) email, webhook, exec.
///
/// The dispatcher hands a channel a batch and records each result in the outbox. A channel may be called
/// again with a notice it already delivered (after a crash between delivery and the outbox update); each
/// notice carries an idempotency key for exactly that case.
public protocol NotificationChannel: Sendable {
    /// The name used in the configuration and in stage `channels` lists.
    var name: String { get }
    /// Delivers each notice; the result at index i is for `notices[i]`.
    func deliver(_ notices: [Notice]) async -> [Result<Void, ChannelError>]
}

/// Why a channel could not deliver.
public struct ChannelError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
