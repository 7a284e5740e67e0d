import Foundation
import Clocks
import ConcurrencyExtras
import Logging
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
import TovholderStore

@Suite(.serialized) struct WorkflowTests {
    @Test func storedDeadlinesAreExactlyWhatDerivationGivesAgain() async throws {
        let h = try await Harness(now: "2026-11-20")
        defer { Task { await h.stop() } }
        var generator = SystemRandomNumberGenerator()
        for index in 0..<60 {
            let takeover = LocalDate("2025-01-01")!.adding(days: Int.random(in: 0..<500, using: &generator))
            var history: [NewEvent] = []
            var day = takeover
            var running = false
            for _ in 0..<Int.random(in: 0..<8, using: &generator) {
                day = day.adding(days: Int.random(in: 1..<40, using: &generator))
                if day > LocalDate("2026-11-20")! { break }
                let kind: EventKind = running ? .offerEnded : [.offerStarted, .contractSigned].randomElement(using: &generator)!
                if kind == .offerStarted { running = true } else if kind == .offerEnded { running = false }
                history.append(NewEvent(kind: kind, date: day, offer: kind.needsOffer ? .praktik : nil))
            }
            _ = try await h.add("C-\(index)", takeover: takeover.description, history: history)
        }
        let workflow = h.engine.workflow
        let mismatches = try await h.engine.store.writer.read { db -> Int in
            var mismatches = 0
            for id in try Store.citizenIDs(db, after: "", limit: 1000) {
                let citizen = try Store.citizen(db, id)!
                let stored = try Store.deadlines(db, citizen: id)
                let fresh = Derivation.deadlines(
                    for: citizen, events: try Store.events(db, citizen: id), rulebook: workflow.rulebook,
                    calendar: workflow.plan.calendar)
                let storedByKey = Dictionary(uniqueKeysWithValues: stored.map { ($0.deadline.key, $0) })
                if Set(storedByKey.keys) != Set(fresh.map(\.key)) { mismatches += 1; continue }
                for deadline in fresh {
                    let row = storedByKey[deadline.key]!
                    if row.deadline != deadline { mismatches += 1 }
                    if row.nextFireAt != workflow.timer(for: deadline, lastStage: row.lastStage)?.fireAt { mismatches += 1 }
                }
            }
            return mismatches
        }
        #expect(mismatches == 0)
    }

    @Test func theStatusTalliesEqualACountOfEveryRow() async throws {
        let h = try await Harness(now: "2026-03-20")
        defer { Task { await h.stop() } }
        for index in 0..<40 {
            let takeover = LocalDate("2026-01-01")!.adding(days: index)
            var history: [NewEvent] = []
            if index % 3 == 0 { history.append(NewEvent(kind: .contractSigned, date: takeover.adding(days: index % 6))) }
            if index % 4 == 0 { history.append(NewEvent(kind: .offerStarted, date: takeover.adding(days: 1), offer: .praktik)) }
            if index % 4 == 0 { history.append(NewEvent(kind: .offerEnded, date: takeover.adding(days: 5), offer: .praktik)) }
            if index % 5 == 0 { history.append(NewEvent(kind: .movedAway, date: takeover.adding(days: 6))) }
            _ = try await h.add("C-\(index)", takeover: takeover.description, history: history)
        }
        _ = try await h.record("C-1", .contractSigned, "2026-03-19")
        #expect(try await eventually {
            let pending = try await h.outbox(.pending)
            let all = try await h.outbox()
            return pending.isEmpty && !all.isEmpty
        })
        let today = LocalDate("2026-03-20")!
        let (tallied, counted, counters, rows) = try await h.engine.store.writer.read { db in
            let tallied = try Store.statusCounts(db, today: today)
            var counted: [DeadlineStatus: Int] = [:]
            for status in DeadlineStatus.allCases { counted[status] = 0 }
            for id in try Store.citizenIDs(db, after: "", limit: 1000) {
                for stored in try Store.deadlines(db, citizen: id) { counted[stored.deadline.status(today: today), default: 0] += 1 }
            }
            let counters = [try Store.citizenCount(db), try Store.eventCount(db)] + OutboxEntry.State.allCases.map { try! Store.outboxCounts(db)[$0]! }
            let rows = [
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM citizen")!, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event")!,
            ] + OutboxEntry.State.allCases.map { try! Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE state = ?", arguments: [$0.rawValue])! }
            return (tallied, counted, counters, rows)
        }
        #expect(tallied == counted)
        #expect(counted.values.reduce(0, +) >= 50)
        #expect(counters == rows)
    }

    @Test func aRulebookChangeIsAppliedToStoredDeadlinesAtRecovery() async throws {
        let directory = scratchDirectory("rb")
        let first = try await Harness(directory: directory, now: "2026-01-20")
        _ = try await first.add("C-1", takeover: "2026-01-05")
        await first.stop()
        var rules = Harness.rulebook.rules
        rules[0].due = CalendarOffset(2, .month)
        let second = try await Harness(directory: directory, now: "2026-01-20", rulebook: Rulebook(name: "changed", rules: rules))
        defer { Task { await second.stop() } }
        let snapshot = try second.engine.citizen(CitizenID(trusted: "C-1"), caller: .daemon)
        #expect(snapshot.deadlines.first { $0.deadline.rule == "contract" }?.deadline.due == LocalDate("2026-03-05"))
        #expect(await second.engine.scheduler.next == Harness.morning("2026-02-26"))
    }

    @Test func aRefusedCommandInABatchTouchesNoOther() async throws {
        let h = try await Harness(now: "2026-03-01")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")
        let results = await withTaskGroup(of: Result<CitizenSnapshot, any Error>.self) { group in
            for index in 0..<200 {
                group.addTask {
                    if index == 100 {
                        do { return .success(try await h.record("C-1", .offerEnded, "2026-02-01", offer: .praktik)) } catch { return .failure(error) }
                    }
                    do { return .success(try await h.add("N-\(index)", takeover: "2026-02-01")) } catch { return .failure(error) }
                }
            }
            var all: [Result<CitizenSnapshot, any Error>] = []
            for await result in group { all.append(result) }
            return all
        }
        let failures = results.compactMap { result -> DomainError? in
            if case .failure(let error) = result { return error as? DomainError }
            return nil
        }
        #expect(failures.count == 1)
        #expect(failures.first?.message.contains("no praktik offer is running") == true)
        let counts = try await h.engine.store.writer.read { db in (try Store.citizenCount(db), try Store.eventCount(db)) }
        #expect(counts.0 == 200)
        #expect(counts.1 == 0)
    }

    /// Counters and tallies are gathered per batch and written once; a refused command or import must
    /// leave none of its counts behind, and the kept ones must add up to exactly what the rows say.
    @Test func talliesAndCountersMatchTheRowsAfterRefusedCommandsAndImports() async throws {
        let h = try await Harness(now: "2026-03-01")
        defer { Task { await h.stop() } }
        func citizen(_ id: String, _ takeover: String) -> Citizen {
            Citizen(id: CitizenID(trusted: id), caseworker: "cw-a", takeover: LocalDate(takeover)!)
        }
        let history = [NewEvent(kind: .contractSigned, date: LocalDate("2026-01-20")!),
                       NewEvent(kind: .offerStarted, date: LocalDate("2026-01-25")!, offer: .praktik)]
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<60 {
                group.addTask {
                    switch index % 4 {
                    case 0: _ = try? await h.add("A-\(index)", takeover: "2026-01-05", history: history)
                    case 1: _ = try? await h.add("B-\(index)", takeover: "2026-01-05")
                    case 2: _ = try? await h.record("A-\(index - 2)", .conversationHeld, "2026-02-10")
                    default: _ = try? await h.record("B-\(index - 2)", .offerEnded, "2026-02-01", offer: .praktik)  // refused
                    }
                }
            }
        }
        let kept = try await h.engine.importBatch(
            [ImportItem(citizen: citizen("I-1", "2025-06-02"), events: history),
             ImportItem(citizen: citizen("I-2", "2026-02-02"), events: [])], caller: .daemon)
        #expect(kept.applied)
        let refused = try await h.engine.importBatch(
            [ImportItem(citizen: citizen("I-3", "2026-02-02"), events: history),
             ImportItem(citizen: citizen("I-4", "2026-02-02"), events: [NewEvent(kind: .offerEnded, date: LocalDate("2026-02-03")!, offer: .praktik)])],
            caller: .daemon)
        #expect(!refused.applied)

        try await h.engine.store.writer.read { db in
            let counted = try Row.fetchAll(db, sql: """
                SELECT state, CASE WHEN state = 'open' THEN due ELSE '' END AS due,
                       CASE WHEN state = 'met' AND closed_on > due THEN 1 ELSE 0 END AS late, COUNT(*) AS n
                FROM deadline GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """)
            let tallied = try Row.fetchAll(db, sql: "SELECT state, due, late, n FROM deadline_tally WHERE n != 0 ORDER BY 1, 2, 3")
            #expect(!counted.isEmpty)
            #expect(counted == tallied)
            #expect(try Store.citizenCount(db) == Int.fetchOne(db, sql: "SELECT COUNT(*) FROM citizen"))
            #expect(try Store.eventCount(db) == Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event"))
            #expect(try Store.citizenCount(db) == 32)  // 15 A, 15 B, I-1, I-2
            // The store does not enforce its foreign keys (see Store.open); no event, deadline or audit
            // row may point at a citizen that is not stored, refused commands and imports included.
            #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event WHERE citizen NOT IN (SELECT id FROM citizen)") == 0)
        }
    }

    @Test func readsAndChangesAreAuditedWithTheirCaller() async throws {
        let h = try await Harness(now: "2026-03-01")
        defer { Task { await h.stop() } }
        let caseworker = Caller(uid: 1234, pid: 99, name: "anna")
        let citizen = Citizen(id: CitizenID(trusted: "C-9"), caseworker: "cw-a", takeover: LocalDate("2026-02-01")!)
        _ = try await h.engine.submit(.addCitizen(citizen), caller: caseworker)
        _ = try h.engine.citizen(CitizenID(trusted: "C-9"), caller: caseworker)
        #expect(throws: DomainError.self) { try h.engine.citizen(CitizenID(trusted: "C-404"), caller: caseworker) }
        #expect(try await eventually { try await h.engine.audit(citizen: nil, limit: 10).count == 3 })
        let trail = try await h.engine.audit(citizen: CitizenID(trusted: "C-9"), limit: 10)
        #expect(trail.map(\.action) == ["citizen.show", "citizen.add"])
        #expect(trail.allSatisfy { $0.caller == "anna" && $0.uid == 1234 && $0.pid == 99 && $0.outcome == "ok" })
        let missing = try await h.engine.audit(citizen: CitizenID(trusted: "C-404"), limit: 10)
        #expect(missing.map(\.outcome) == ["not-found"])
    }

    /// A dry run stores nothing, but the audit trail says who checked what: each citizen it would have
    /// stored, each stored citizen whose details a problem quotes, and the batch.
    @Test func aDryRunImportStoresNothingButIsAudited() async throws {
        let h = try await Harness(now: "2026-03-01")
        defer { Task { await h.stop() } }
        let operator_ = Caller(uid: 501, pid: 7, name: "it-ops")
        let stored = Citizen(id: CitizenID(trusted: "C-1"), caseworker: "cw-a", takeover: LocalDate("2026-02-01")!)
        _ = try await h.engine.submit(.addCitizen(stored), caller: .daemon)
        let (citizens, events) = try await h.engine.store.writer.read { db in (try Store.citizenCount(db), try Store.eventCount(db)) }
        let queued = try await h.outbox().count
        let fresh = ImportItem(citizen: Citizen(id: CitizenID(trusted: "C-2"), caseworker: "cw-a", takeover: LocalDate("2025-11-03")!),
                               events: [])
        let known = ImportItem(citizen: stored, events: [NewEvent(kind: .contractSigned, date: LocalDate("2026-02-15")!)])
        let clean = try await h.engine.importBatch([fresh, known], dryRun: true, caller: operator_)
        #expect(clean.problems.isEmpty && clean.added == 1 && clean.eventsAdded == 1)
        // Another takeover date for C-1: a problem that quotes what is stored.
        var moved = stored
        moved.takeover = LocalDate("2026-01-20")!
        let refused = try await h.engine.importBatch([ImportItem(citizen: moved, events: [])], dryRun: true, caller: operator_)
        #expect(refused.problems.map(\.message) == ["citizen C-1 is stored with other details (takeover 2026-02-01, file 2026-01-20)"])

        let after = try await h.engine.store.writer.read { db in (try Store.citizenCount(db), try Store.eventCount(db)) }
        #expect(after == (citizens, events))
        #expect(try await h.engine.store.writer.read { try Store.citizen($0, CitizenID(trusted: "C-2")) } == nil)
        // C-2's contract is overdue already, yet no catch-up notice of the dry run stays queued.
        #expect(try await h.outbox().count == queued)
        let trail = try await h.engine.audit(citizen: nil, limit: 10).filter { $0.caller == "it-ops" }
        // Newest first: the refused check (C-1 quoted, then the batch), then the clean one (C-2 and C-1, in
        // the batch's order, then the batch).
        #expect(trail.map { "\($0.citizen ?? "-") \($0.outcome)" }
            == ["- invalid", "C-1 invalid", "- dry-run", "C-1 dry-run", "C-2 dry-run"])
        // Unchanged, a stored citizen is not audited by a dry run (nor by an import): nothing of theirs is shown.
        _ = try await h.engine.importBatch([ImportItem(citizen: stored, events: [])], dryRun: true, caller: operator_)
        let unchanged = try await h.engine.audit(citizen: nil, limit: 10).filter { $0.caller == "it-ops" }
        #expect(unchanged.map { "\($0.citizen ?? "-") \($0.outcome)" }.prefix(2) == ["- dry-run", "- invalid"])
        #expect(trail.allSatisfy { $0.action == "citizen.import" && $0.uid == 501 && $0.pid == 7 })
        // The same batch for real stores C-2 and queues the catch-up notices the dry run did not keep.
        #expect(try await h.engine.importBatch([fresh], caller: operator_).added == 1)
        #expect(try await h.outbox().count > queued)
    }

    @Test func anUnknownCaseworkerOrADuplicateIdChangesNothing() async throws {
        let h = try await Harness(now: "2026-03-01")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-02-01")
        await #expect(throws: DomainError.conflict("citizen C-1 exists already")) { try await h.add("C-1", takeover: "2026-02-02") }
        let stranger = Citizen(id: CitizenID(trusted: "C-2"), caseworker: "nobody", takeover: LocalDate("2026-02-01")!)
        await #expect(throws: DomainError.self) { try await h.engine.submit(.addCitizen(stranger), caller: .daemon) }
        let snapshot = try h.engine.citizen(CitizenID(trusted: "C-1"), caller: .daemon)
        #expect(snapshot.citizen.takeover == LocalDate("2026-02-01"))
        #expect(try await h.engine.store.writer.read { try Store.citizenCount($0) } == 1)
    }
}

@Suite struct SchedulerStatsTests {
    @Test func latenessPercentilesUseTheNearestRankOverTheLastTenThousand() {
        var stats = Scheduler.Stats()
        #expect(stats.lateness(percentile: 99) == nil)
        stats.record(lateness: Array((1...100).reversed()))
        #expect(stats.lateness(percentile: 50) == 50)
        #expect(stats.lateness(percentile: 99) == 99)
        #expect(stats.lateness(percentile: 100) == 100)
        #expect(stats.sortedLateness.last == 100)
        stats.record(lateness: Array(repeating: 7, count: 10_000))  // the oldest hundred drop out
        #expect(stats.recentLateness.count == 10_000)
        #expect(stats.sortedLateness.last == 7)
    }
}

@Suite struct KeepRunningTests {
    struct DiskFull: Error {}

    @Test func aFailingLoopIsRunAgainAfterTheBackoffNotEnded() async throws {
        let clock = TestClock<Duration>()
        let calls = LockIsolated(0)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let task = Task {
            try await keepRunning("test", logger: logger, clock: clock) {
                let call = calls.withValue { $0 += 1; return $0 }
                if call < 3 { throw DiskFull() }
                try await Task.sleep(for: .seconds(3600))  // the third run works until cancelled
            }
        }
        #expect(try await eventually { calls.value == 1 })
        await clock.advance(by: .milliseconds(999))
        try await Task.sleep(for: .milliseconds(20))
        #expect(calls.value == 1)
        await clock.advance(by: .milliseconds(1))
        #expect(try await eventually { calls.value == 2 })
        await clock.advance(by: .seconds(1))
        #expect(try await eventually { calls.value == 3 })
        task.cancel()
        _ = try? await task.value
        #expect(calls.value == 3)
    }
}

extension Workflow {
    /// The timer a deadline should hold after `lastStage`, worked out on its own: what the recovery test
    /// compares the stored timers with.
    fileprivate func timer(for deadline: Deadline, lastStage: Int) -> StagePlan.Timer? {
        stages(of: deadline).flatMap { StagePlan.nextTimer(fireTimes: $0.fireTimes, lastSent: lastStage, state: deadline.state) }
    }
}
