import Foundation
import Logging
import NIOCore
import NIOExtras
import NIOPosix
import ServiceLifecycle
import TovholderEngine

/// The control socket: newline-delimited JSON over a Unix stream socket, served with SwiftNIO. Each
/// connection runs in its own child task; an error in one never touches another. Request lines are
/// bounded; an oversized one gets a `too-large` answer and the connection is closed (its framing is lost).
public final class ControlServer: Service, Sendable {
    public struct Connection: Sendable {
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        let caller: Caller
    }

    let listener: NIOAsyncChannel<Connection, Never>
    let handler: RequestHandler
    let logger: Logger
    let maxLineBytes: Int

    /// Binds the socket now, so the daemon reports ready only once it listens. `inheritedDescriptor` is a
    /// listening socket handed in by systemd (socket activation); otherwise `path` is bound (an old
    /// socket file left by a crash is replaced) and made accessible to owner and group.
    public static func bind(
        path: String, inheritedDescriptor: Int32?, maxLineBytes: Int, handler: RequestHandler,
        group: MultiThreadedEventLoopGroup, logger: Logger
    ) async throws -> ControlServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
        let initializer: @Sendable (any Channel) -> EventLoopFuture<Connection> = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maxLineBytes))
                return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
            }.flatMap { async in
                PeerCredentials.of(channel).map { Connection(channel: async, caller: $0) }
            }
        }
        let listener: NIOAsyncChannel<Connection, Never>
        if let descriptor = inheritedDescriptor {
            listener = try await bootstrap.bind(descriptor, childChannelInitializer: initializer)
        } else {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            listener = try await bootstrap.bind(
                unixDomainSocketPath: path, cleanupExistingSocketFile: true, childChannelInitializer: initializer)
            chmod(path, 0o660)
        }
        return ControlServer(listener: listener, handler: handler, logger: logger, maxLineBytes: maxLineBytes)
    }

    init(listener: NIOAsyncChannel<Connection, Never>, handler: RequestHandler, logger: Logger, maxLineBytes: Int) {
        self.listener = listener
        self.handler = handler
        self.logger = logger
        self.maxLineBytes = maxLineBytes
    }

    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            try await listener.executeThenClose { connections in
                for try await connection in connections.cancelOnGracefulShutdown() {
                    group.addTask { await self.serve(connection) }
                }
            }
            group.cancelAll()
        }
    }

    /// Requests one connection may have in flight before the daemon stops reading it.
    static let maxPipelined = 256

    /// Serves one connection. A client may pipeline: answers come back in request order, changes are
    /// queued at the writer in the order sent (so one group commit can carry many of them), and every
    /// other request runs alone, after the earlier ones are answered and before later ones start.
    func serve(_ connection: Connection) async {
        let pipeline = Pipeline(limit: Self.maxPipelined)
        let (answers, sink) = AsyncStream.makeStream(of: (@Sendable () async -> Data).self)
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                @Sendable func send(_ answer: @Sendable () async -> Data) async throws {
                    var response = await answer()
                    response.append(UInt8(ascii: "\n"))
                    try await outbound.write(ByteBuffer(bytes: response))
                }
                try await withThrowingDiscardingTaskGroup { group in
                    group.addTask {
                        defer { pipeline.close() }
                        for await answer in answers {
                            try await send(answer)
                            pipeline.release()
                        }
                    }
                    defer { sink.finish() }
                    do {
                        for try await line in inbound.cancelOnGracefulShutdown() {
                            switch handler.start(Data(line.readableBytesView), caller: connection.caller) {
                            case .pipelined(let answer):
                                guard await pipeline.acquire() else { return }
                                sink.yield(answer)
                            case .serial(let answer):
                                // Alone: once every earlier answer is sent, and before the next line is read.
                                guard await pipeline.drained() else { return }
                                try await send(answer)
                            }
                        }
                    } catch is ByteToMessageDecoderError.PayloadTooLargeError {
                        let message = #"{"error":{"code":"too-large","message":"request line longer than \#(maxLineBytes) bytes; refused"},"ok":false,"v":1}"#
                        guard await pipeline.acquire() else { return }
                        sink.yield { Data(message.utf8) }
                    }
                }
            }
        } catch {
            logger.debug("control connection ended", metadata: ["error": "\(error)"])
        }
    }
}
