import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import TovholderEngine

/// The control socket: newline-delimited JSON over a Unix stream socket, served with SwiftNIO. Each
/// connection is served by a `ConnectionHandler` on its event loop; an error in one never touches another.
/// Request lines are bounded; an oversized one gets a `too-large` answer and the connection is closed (its
/// framing is lost).
public final class ControlServer: Service, Sendable {
    let listener: NIOAsyncChannel<any Channel, Never>
    let logger: Logger

    /// Binds the socket now, so the daemon reports ready only once it listens. `inheritedDescriptor` is a
    /// listening socket handed in by systemd (socket activation); otherwise `path` is bound (an old
    /// socket file left by a crash is replaced) and made accessible to owner and group.
    public static func bind(
        path: String, inheritedDescriptor: Int32?, maxLineBytes: Int, handler: RequestHandler,
        group: MultiThreadedEventLoopGroup, logger: Logger
    ) async throws -> ControlServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<any Channel> = { channel in
            PeerCredentials.of(channel).hop(to: channel.eventLoop).flatMapThrowing { caller in
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maxLineBytes))
                try channel.pipeline.syncOperations.addHandler(
                    ConnectionHandler(handler: handler, caller: caller, maxLineBytes: maxLineBytes, logger: logger))
                return channel
            }
        }
        let listener: NIOAsyncChannel<any Channel, Never>
        if let descriptor = inheritedDescriptor {
            listener = try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        } else {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            listener = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            chmod(path, 0o660)
        }
        return ControlServer(listener: listener, logger: logger)
    }

    init(listener: NIOAsyncChannel<any Channel, Never>, logger: Logger) {
        self.listener = listener
        self.logger = logger
    }

    /// Accepts connections until graceful shutdown, then closes the open ones.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    group.addTask {
                        await withTaskCancellationHandler {
                            try? await connection.closeFuture.get()
                        } onCancel: {
                            connection.close(promise: nil)
                        }
                    }
                }
            }
            group.cancelAll()
        }
    }
}
