import Foundation
import Logging
import TovholderCore
import TovholderEngine
import TovholderProtocol
import TovholderStore

/// The one place every request passes through: it knows the caller, decodes the request, calls the
/// engine, and turns every failure into a specific error response. It never throws: bad input of any
/// kind becomes an answer, and the connection stays usable.
public struct RequestHandler: Sendable {
    let engine: Engine
    let version: String
    let logger: Logger
    /// One decoder for every request (two decodes each), not a new one per call.
    static let decoder = JSONDecoder()

    public init(engine: Engine, version: String, logger: Logger) {
        self.engine = engine
        self.version = version
        self.logger = logger
    }

    /// How a request is answered on a connection that may pipeline several.
    public enum Job: Sendable {
        /// Answered in its place with no further work: a refusal.
        case ready(Data)
        /// A change already queued at the writer (in the order the lines arrived), answered once it is on
        /// disk by rendering its result.
        case queued(Ticket, @Sendable (Result<CommandResult, any Error>) -> Data)
        /// Runs alone — after every earlier request on the connection is answered, before a later one
        /// starts — so it sees every change sent before it and none sent after. A short read: it runs
        /// synchronously, on the connection's event loop.
        case read(@Sendable () -> Data)
        /// Runs alone, like `read`, but may take long or wait: imports, listings, the audit, the clock.
        case serial(@Sendable () async -> Data)
    }

    /// Starts a request: decodes it and, for a change, queues it at the writer now, so that pipelined
    /// changes apply in the order they were sent.
    public func start(_ line: Data, caller: Caller) -> Job {
        // Most lines are plain (see FlatRequest); anything else is read, and refused, by JSONDecoder.
        let flat = line.withUnsafeBytes { FlatRequest.parse($0) }
        let header: RequestHeader
        do {
            header = try flat.map { RequestHeader(v: $0.v, id: $0.id, op: $0.op) }
                ?? Self.decoder.decode(RequestHeader.self, from: line)
        } catch {
            return refuse(nil, WireError(.badRequest, "the request is not a JSON object: \(Self.describe(error))"))
        }
        guard let v = header.v else {
            return refuse(header.id, WireError(.badRequest, "the request has no protocol version 'v'"))
        }
        guard v == WireProtocol.version else {
            return refuse(header.id, WireError(
                .unsupportedVersion, "protocol version \(v) is not supported; this daemon speaks version \(WireProtocol.version)"))
        }
        guard let opName = header.op else {
            return refuse(header.id, WireError(.badRequest, "the request has no operation 'op'"))
        }
        guard let op = RequestOperation(rawValue: opName) else {
            return refuse(header.id, WireError(
                .unknownOperation,
                "unknown operation '\(opName.prefix(40))'; known: \(RequestOperation.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        return job(op, line: line, flat: flat, id: header.id, caller: caller)
    }

    func refuse(_ id: Int?, _ error: WireError) -> Job {
        .ready(encode(Response<Empty>(id: id, error: error)))
    }

    /// A single-citizen change: decoded and queued now, answered when it is on disk.
    func change<P: Codable & Sendable, R: Codable & Sendable>(
        _ id: Int?, _ line: Data, fast: P? = nil, _ caller: Caller, _ command: (P) throws -> Command,
        answer: @escaping @Sendable (CitizenSnapshot) -> R
    ) -> Job {
        let ticket: Ticket
        do {
            ticket = engine.enqueue(try command(Self.params(line, fast: fast)), caller: caller)
        } catch {
            return .ready(failure(id, error))
        }
        return .queued(ticket) { result in answerNow(id) { answer(try Engine.snapshot(result)) } }
    }

    /// A short read: parameters decoded and the body run when the connection's turn comes, synchronously.
    func read<P: Codable & Sendable, R: Codable & Sendable>(
        _ id: Int?, _ line: Data, fast: P? = nil, _ body: @escaping @Sendable (P) throws -> R
    ) -> Job {
        .read { answerNow(id) { try body(try Self.params(line, fast: fast)) } }
    }

    /// Anything else that runs alone, asynchronously.
    func serial<P: Codable & Sendable, R: Codable & Sendable>(
        _ id: Int?, _ line: Data, fast: P? = nil, _ body: @escaping @Sendable (P) async throws -> R
    ) -> Job {
        .serial { await answering(id) { try await body(try Self.params(line, fast: fast)) } }
    }

    /// How each operation is answered: changes are queued now; reads, imports and the clock run alone.
    func job(_ op: RequestOperation, line: Data, flat: FlatRequest?, id: Int?, caller: Caller) -> Job {
        switch op {
        case .citizenAdd:
            return change(id, line, caller) { (p: CitizenAddParams) in
                let item = try Self.item(p)
                return .addCitizen(item.citizen, history: item.events)
            } answer: { view($0) }
        case .eventRecord:
            return change(id, line, fast: flat.flatMap(EventRecordParams.init), caller) { (p: EventRecordParams) in
                .recordEvent(citizen: p.citizen, kind: p.kind, date: p.date, offer: p.offer)
            } answer: { snapshot in
                // The answer carries the citizen's deadlines as they now stand, not the whole history.
                var citizen = view(snapshot)
                citizen.events = nil
                return citizen
            }
        case .status:
            return read(id, line, fast: flat.map { _ in Empty() }) { (_: Empty) in try status() }
        case .citizenImport:
            return serial(id, line, fast: flat.flatMap(CitizenImportParams.init)) { (p: CitizenImportParams) in
                guard p.citizens.count <= 10_000 else {
                    throw DomainError.invalid("an import batch holds at most 10000 citizens; this one has \(p.citizens.count)")
                }
                var items: [ImportItem] = []
                var problems: [ImportResultView.Problem] = []
                for (index, c) in p.citizens.enumerated() {
                    do throws(DomainError) {
                        items.append(try Self.item(c))
                    } catch {
                        problems.append(.init(index: index, message: error.message))
                    }
                }
                if !problems.isEmpty {
                    return ImportResultView(applied: false, added: 0, unchanged: 0, eventsAdded: 0, problems: problems)
                }
                let summary = try await engine.importBatch(items, dryRun: p.dryRun == true, caller: caller)
                return ImportResultView(
                    applied: summary.applied && p.dryRun != true, added: summary.added, unchanged: summary.unchanged,
                    eventsAdded: summary.eventsAdded,
                    problems: summary.problems.map { .init(index: $0.index, message: $0.message) })
            }
        case .citizenImportFinish:
            return serial(id, line) { (_: Empty) in
                let built = try await engine.finishImport(caller: caller)
                return ImportFinishView(indexesBuilt: built != nil, seconds: built?.inSeconds ?? 0)
            }
        case .citizenShow:
            let fast = flat.flatMap(CitizenShowParams.init)
            return read(id, line, fast: fast) { (p: CitizenShowParams) in view(try engine.citizen(p.id, caller: caller)) }
        case .citizenList:
            return serial(id, line) { (p: CitizenListParams) in
                let limit = min(max(p.limit ?? 1000, 1), 10_000)
                let list = try engine.citizens(caseworker: p.caseworker, after: p.after, limit: limit, caller: caller)
                return CitizenListView(
                    citizens: list.map { view($0, events: nil, deadlines: nil) },
                    next: list.count == limit ? list.last?.id.rawValue : nil)
            }
        case .deadlines:
            return serial(id, line) { (p: DeadlinesParams) in
                let today = engine.workflow.today(engine.wall.nowMillis())
                let filter = DeadlineFilter(
                    citizen: p.citizen, caseworker: p.caseworker, overdueOn: p.overdue == true ? today : nil,
                    dueBefore: p.dueBefore, limit: min(max(p.limit ?? 10_000, 1), 100_000))
                let list = try engine.deadlines(filter, caller: caller)
                return DeadlineListView(deadlines: list.map { view($0, today: today) })
            }
        case .notifications:
            return serial(id, line) { (p: NotificationsParams) in
                var state: OutboxEntry.State?
                if let raw = p.state {
                    guard let parsed = OutboxEntry.State(rawValue: raw) else {
                        throw DomainError.invalid("unknown notification state '\(raw.prefix(40))'; use pending, delivered or failed")
                    }
                    state = parsed
                }
                let list = try engine.notifications(state: state, limit: min(max(p.limit ?? 100, 1), 10_000), caller: caller)
                return NotificationListView(notifications: list.map(view))
            }
        case .clockSet:
            return serial(id, line) { (p: ClockSetParams) in
                try await engine.setClock(nowMillis: p.nowMillis, caller: caller)
                return try status()
            }
        case .audit:
            return serial(id, line) { (p: AuditParams) in
                let entries = try await engine.audit(citizen: p.citizen, limit: min(max(p.limit ?? 100, 1), 10_000))
                return AuditListView(entries: entries.map {
                    AuditView(at: $0.at.iso8601, caller: $0.caller, uid: $0.uid, pid: $0.pid, action: $0.action,
                              citizen: $0.citizen, outcome: $0.outcome)
                })
            }
        }
    }

    /// A citizen with their history as `citizen.add` and `citizen.import` give it.
    static func item(_ p: CitizenAddParams) throws(DomainError) -> ImportItem {
        let household = try p.household.map { raw throws(DomainError) in try Identifier.validate(raw, as: "household id") }
        return ImportItem(
            citizen: Citizen(
                id: p.id, caseworker: p.caseworker, takeover: p.takeover, visitation: p.visitation, track: p.track,
                household: household),
            events: (p.events ?? []).map { NewEvent(kind: $0.kind, date: $0.date, offer: $0.offer) })
    }

    /// The request's parameters: `fast` when the plain-line reader gave them, else from JSONDecoder (whose
    /// complaint, worded by `describe`, is the answer).
    static func params<P: Decodable>(_ line: Data, fast: P?) throws -> P {
        if let fast { return fast }
        do {
            return try decoder.decode(RequestParams<P>.self, from: line).params
        } catch {
            throw DomainError.invalid(describe(error))
        }
    }

    /// Runs the body and encodes its result or error.
    func answerNow<R: Codable & Sendable>(_ id: Int?, _ body: () throws -> R) -> Data {
        do {
            return encode(Response(id: id, result: try body()))
        } catch {
            return failure(id, error)
        }
    }

    /// Runs the body and encodes its result or error.
    func answering<R: Codable & Sendable>(_ id: Int?, _ body: () async throws -> R) async -> Data {
        do {
            return encode(Response(id: id, result: try await body()))
        } catch {
            return failure(id, error)
        }
    }

    /// The answer to a request that failed: the caller's mistake in its own words, or a failure of ours.
    func failure(_ id: Int?, _ error: any Error) -> Data {
        switch error {
        case let error as DomainError:
            return encode(Response<Empty>(id: id, error: WireError(error)))
        case let error as EngineError:
            return encode(Response<Empty>(id: id, error: WireError(.unavailable, error.description)))
        default:
            logger.error("request failed", metadata: ["error": "\(error)"])
            return encode(Response<Empty>(id: id, error: WireError(.internalError, "internal error; see the daemon's log")))
        }
    }

    func status() throws -> StatusView {
        let status = try engine.status()
        let now = engine.wall.nowMillis()
        return StatusView(
            version: version, startedAt: engine.startedAt.iso8601, uptimeSeconds: Int((now - engine.startedAt) / 1000),
            citizens: status.citizens, events: status.events,
            deadlines: Dictionary(uniqueKeysWithValues: status.deadlines.map { ($0.key.rawValue, $0.value) }),
            nextFiring: status.nextFiring?.iso8601,
            outbox: Dictionary(uniqueKeysWithValues: status.outbox.map { ($0.key.rawValue, $0.value) }),
            rulebook: engine.workflow.rulebook.name, today: status.today,
            timers: TimersView(
                fired: status.timers.fired, caughtUp: status.timers.caughtUp, queued: status.timers.queued,
                latenessP50Ms: status.timers.lateness(percentile: 50), latenessP99Ms: status.timers.lateness(percentile: 99),
                latenessMaxMs: status.timers.sortedLateness.last),
            writes: WritesView(
                commits: status.writes.commits, changes: status.writes.changes,
                commitP50Us: status.writes.commit?.p50, commitP99Us: status.writes.commit?.p99,
                commitMaxUs: status.writes.commit?.max, answerP50Us: status.writes.answer?.p50,
                answerP99Us: status.writes.answer?.p99, answerMaxUs: status.writes.answer?.max,
                redone: status.writes.redone))
    }

    func encode<R: Encodable>(_ response: R) -> Data {
        if let fast = response as? any JSONWritable { return Data(fast.jsonBytes) }
        return (try? WireProtocol.encoder.encode(response)) ?? Data(#"{"v":1,"ok":false,"error":{"code":"internal","message":"cannot encode the response"}}"#.utf8)
    }

    /// A person-readable account of a decoding error: which field, and what was wrong with it.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let at = path(context)
            return "missing field '\(at.isEmpty ? key.stringValue : at + "." + key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "field '\(path(context))' has the wrong type: \(context.debugDescription)"
        case .dataCorrupted(let context):
            let at = path(context)
            if at.isEmpty { return "not valid JSON" }
            return "field '\(at)': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
