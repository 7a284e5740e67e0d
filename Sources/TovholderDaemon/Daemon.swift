import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import TovholderChannels
import TovholderConfig
import TovholderControl
import TovholderCore
import TovholderEngine
import TovholderStore
import TovholderSystemd
import UnixSignals

/// The composition root: opens the store, recovers, binds the socket, and runs every service in one
/// ServiceGroup until SIGTERM or SIGINT.
struct Daemon {
    let loaded: ConfigurationLoader.Loaded
    let demo: Bool
    let simulatedClock: Bool
    let logger: Logger
    let version: String

    func run() async throws {
        let config = loaded.configuration
        // Reloading on SIGHUP comes later; until then a stray SIGHUP must not end the daemon.
        signal(SIGHUP, SIG_IGN)
        do {
            try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        } catch {
            throw StartupError("cannot create the state directory \(config.stateDirectory): \(error.localizedDescription)")
        }
        let lock = try StateLock(directory: config.stateDirectory)
        defer { withExtendedLifetime(lock) {} }

        let store: Store
        do {
            store = try Store.open(path: config.stateDirectory + "/tovholder.sqlite", synchronous: config.synchronous)
        } catch {
            throw StartupError("cannot open the store in \(config.stateDirectory): \(error)")
        }
        let workflow = Workflow(
            rulebook: loaded.rulebook,
            plan: StagePlan(calendar: config.calendar, time: config.localTime, sendHour: config.sendHour),
            directory: config.directory, channels: config.channelNames)
        var channels: [any NotificationChannel] = []
        if config.journal.enabled { channels.append(JournalChannel()) }
        if config.spool.enabled { channels.append(SpoolChannel(path: config.spoolPath)) }
        let engine = Engine(
            store: store, workflow: workflow, channels: channels, clock: ContinuousClock(),
            wall: simulatedClock ? AdjustableWallClock() : SystemWallClock(),
            logger: logger, maxAttempts: config.delivery.maxAttempts, retrySeconds: config.delivery.retrySeconds)

        let rederived = try await engine.recover()
        logger.info("store open", metadata: [
            "store.path": "\(config.stateDirectory)/tovholder.sqlite", "citizens.rederived": "\(rederived)",
        ])

        // One event loop per core: short reads are answered on the loops (see ConnectionHandler), so the
        // loops, not the writer, are what a query load keeps busy.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let inherited = Systemd.listenFileDescriptors().first
        let server: ControlServer
        do {
            server = try await ControlServer.bind(
                path: config.socketPath, inheritedDescriptor: inherited, maxLineBytes: config.maxRequestBytes,
                handler: RequestHandler(engine: engine, version: version, logger: logger), group: group, logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw StartupError("cannot listen on \(config.socketPath): \(error)")
        }
        logger.info("control socket listening", metadata: [
            "socket.path": "\(inherited == nil ? config.socketPath : "fd \(inherited!) from systemd")"
        ])

        // Services start together; the writer must run before demo data is submitted, and READY=1 is
        // sent by SystemdService, last in the group, so it must not come before the demo data is in.
        let seeder = DemoSeeder(engine: engine, enabled: demo, caseworkers: Array(config.directory.caseworkers.keys), logger: logger)
        let serviceGroup = ServiceGroup(
            configuration: .init(
                services: engine.services.map { .init(service: $0) } + [
                    .init(service: server), .init(service: seeder),
                    .init(service: SequencedService(after: seeder, then: SystemdService(notifier: SystemdNotifier(), engine: engine, logger: logger))),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await serviceGroup.run()
        try await group.shutdownGracefully()
        logger.notice("tovholderd stopped")
    }
}
