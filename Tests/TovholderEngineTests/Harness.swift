import Clocks
import Foundation
import GRDB
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TovholderChannels
import TovholderCore
@testable import TovholderEngine
import TovholderStore

/// Every test's scratch directory lives under one directory per test process, removed when it exits.
let scratchRoot: URL = {
    let root = URL(fileURLWithPath: "/tmp/tovholder-engine-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: "/tmp/tovholder-engine-tests-\(getpid())") }
    return root
}()

/// A fresh directory for one test, under `scratchRoot`.
func scratchDirectory(_ prefix: String) -> URL { scratchRoot.appendingPathComponent("\(prefix)-\(UUID())") }

/// The path of a file `name` in a fresh directory made for one test (a store file, say).
func scratchFile(_ prefix: String, _ name: String) throws -> String {
    let directory = scratchDirectory(prefix)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory.appendingPathComponent(name).path
}

/// A wall clock the test moves, together with a TestClock, so the scheduler's sleeps and its idea of
/// "now" stay in step.
final class TestWall: WallClock {
    private let millis: Mutex<Int64>
    let clock = TestClock<Duration>()

    init(_ start: Int64) { millis = Mutex(start) }

    func nowMillis() -> Int64 { millis.withLock { $0 } }

    /// Moves wall time and the test clock forward together.
    func advance(byMillis delta: Int64) async {
        millis.withLock { $0 += delta }
        await clock.advance(by: .milliseconds(delta))
    }

    func advance(to target: Int64) async { await advance(byMillis: target - nowMillis()) }
}

/// A real engine over a real SQLite file in a fresh temporary directory, with the spool channel writing
/// a real file there. Services run in a task until `stop()`.
final class Harness: Sendable {
    let directory: URL
    let wall: TestWall
    let engine: Engine
    let runner: Task<Void, any Error>
    static let time = LocalTime.copenhagen

    static let rulebook = Rulebook(name: "test", rules: [
        Rule(id: "contract", title: "Contract", triggers: [.takeover], due: CalendarOffset(1, .month),
             satisfiedBy: [EventMatcher(.contractSigned)], stages: [
                Stage(name: "remind-7d", offsetDays: -7, to: .caseworker), Stage(name: "due", offsetDays: 0, to: .caseworker),
                Stage(name: "escalate-lead", offsetDays: 1, to: .teamLead), Stage(name: "escalate-manager", offsetDays: 14, to: .manager),
             ]),
        Rule(id: "interval", title: "Interval", triggers: [.event(EventMatcher(.offerEnded))], due: CalendarOffset(6, .week),
             satisfiedBy: [EventMatcher(.offerStarted)], stages: [Stage(name: "due", offsetDays: 0, to: .caseworker)]),
    ])

    static let directory = Directory(
        caseworkers: ["cw-a": "north"], teams: ["north": .init(id: "north", lead: "lead-n", manager: nil)], manager: "mgr")

    init(
        directory: URL? = nil, now: String, hour: Int = 12, rulebook: Rulebook = Harness.rulebook,
        spoolPath: String? = nil, maxAttempts: Int = 8, firstLoadIdle: Duration = .seconds(30)
    ) async throws {
        let directory = directory ?? scratchDirectory("engine")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.directory = directory
        wall = TestWall(Self.time.millis(on: LocalDate(now)!, hour: hour))
        let store = try Store.open(path: directory.appendingPathComponent("t.sqlite").path)
        let workflow = Workflow(
            rulebook: rulebook, plan: StagePlan(calendar: DanishCalendar(), time: Self.time, sendHour: 8),
            directory: Self.directory, channels: ["spool"])
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        engine = Engine(
            store: store, workflow: workflow,
            channels: [SpoolChannel(path: spoolPath ?? directory.appendingPathComponent("spool.jsonl").path)],
            clock: wall.clock, wall: wall, logger: logger, maxAttempts: maxAttempts, retrySeconds: 60,
            replanEvery: .seconds(365 * 86_400),  // the test's clocks move together: no jumps to look out for
            firstLoadIdle: firstLoadIdle)
        try await engine.recover()
        let services = engine.services
        runner = Task {
            try await withThrowingDiscardingTaskGroup { group in
                for service in services { group.addTask { try await service.run() } }
            }
        }
    }

    func stop() async {
        runner.cancel()
        _ = try? await runner.value
    }

    var spool: [Notice] {
        guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent("spool.jsonl").path) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).map { try! JSONDecoder().decode(Notice.self, from: Data($0)) }
    }

    func add(_ id: String, takeover: String, history: [NewEvent] = []) async throws -> CitizenSnapshot {
        let citizen = Citizen(id: CitizenID(trusted: id), caseworker: "cw-a", takeover: LocalDate(takeover)!)
        return try await engine.submit(.addCitizen(citizen, history: history), caller: .daemon)
    }

    func record(_ id: String, _ kind: EventKind, _ date: String, offer: OfferKind? = nil) async throws -> CitizenSnapshot {
        try await engine.submit(.recordEvent(citizen: CitizenID(trusted: id), kind: kind, date: LocalDate(date)!, offer: offer), caller: .daemon)
    }

    func outbox(_ state: OutboxEntry.State? = nil) async throws -> [OutboxEntry] {
        try await engine.store.writer.read { try Store.outbox($0, state: state, limit: 100_000) }
    }

    /// The instant of 08:00 Copenhagen time on `date`.
    static func morning(_ date: String) -> Int64 { time.millis(on: LocalDate(date)!, hour: 8) }
}

/// Waits (polling every few milliseconds, at most `seconds`) until `condition` holds.
func eventually(_ seconds: Double = 5, _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
