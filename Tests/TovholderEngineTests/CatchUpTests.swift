import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
import TovholderStore

/// A deadline derived already due (an imported history, a back-dated event) fires in the transaction that
/// derived it, instead of arming a timer for the scheduler to find and fire in a transaction of its own.
@Suite struct CatchUpTests {
    let workflow = Workflow(
        rulebook: Harness.rulebook, plan: StagePlan(calendar: DanishCalendar(), time: Harness.time, sendHour: 8),
        directory: Harness.directory, channels: ["spool", "journal"])
    let now = Harness.time.millis(on: LocalDate("2026-02-10")!, hour: 12)

    /// Citizens whose contract deadline (takeover + 1 month) has passed some of its stages, all of them, or
    /// none; one whose interval deadline (an offer ended) is due today.
    var citizens: [(Citizen, [NewEvent])] {
        [("2026-01-20", []), ("2026-01-05", []), ("2025-11-03", []), ("2026-02-09", []),
         ("2025-12-15", [NewEvent(kind: .offerStarted, date: LocalDate("2025-12-16")!, offer: .praktik),
                         NewEvent(kind: .offerEnded, date: LocalDate("2025-12-30")!, offer: .praktik)])]
            .enumerated().map { index, item in
                (Citizen(id: CitizenID(trusted: "C-\(index)"), caseworker: "cw-a", takeover: LocalDate(item.0)!), item.1)
            }
    }

    /// What the outbox and the deadlines hold, without the instants that depend on when the test ran.
    func contents(_ store: Store) throws -> (notices: [String], deadlines: [String]) {
        try store.writer.read { db in
            let notices = try Store.outbox(db, state: nil, limit: 1000).map {
                "\($0.notice.key) \($0.notice.recipient) \($0.notice.details.status) \($0.nextAttemptAt)"
            }.sorted()
            let deadlines = try Store.deadlines(db, matching: DeadlineFilter()).map {
                "\($0.deadline.key) \($0.lastStage) \($0.nextFireAt.map(String.init) ?? "-")"
            }
            return (notices, deadlines)
        }
    }

    @Test func theWriterQueuesWhatTheSchedulerWouldHaveAndArmsNothingAlreadyDue() throws {
        // The writer's way: each citizen added in a command of its own, firing what is due as it derives.
        let inline = try Store.inMemory()
        let caughtUp = try inline.writer.write { db -> (fired: Int, queued: Int) in
            let tallies = Tallies()
            for (citizen, history) in citizens {
                _ = try workflow.apply(.addCitizen(citizen, history: history), db, now: now, caller: .daemon, tallies: tallies)
            }
            let caughtUp = tallies.caughtUp
            try tallies.flush(db)
            return caughtUp
        }
        // The scheduler's way: the same deadlines derived without firing, then every due timer fired.
        let scheduled = try Store.inMemory()
        let report = try scheduled.writer.write { db -> Workflow.FireReport in
            for (citizen, history) in citizens {
                try Store.addCitizen(db, citizen, at: now)
                var events: [CaseEvent] = []
                for event in history {
                    events.append(CaseEvent(
                        sequence: Store.nextSequence(after: events), kind: event.kind, date: event.date, offer: event.offer))
                }
                try Store.appendEvents(db, citizen: citizen.id, events, at: now, by: "test")
                try workflow.rederive(db, citizen: citizen, events: events)
            }
            return try workflow.fireDue(db, now: now, limit: 1000)
        }
        #expect(report.fired == 4 && report.queued == 8)  // two channels per stage
        #expect(caughtUp.fired == report.fired && caughtUp.queued == report.queued)
        let (inlineContents, scheduledContents) = (try contents(inline), try contents(scheduled))
        #expect(inlineContents.notices.count == 8)
        #expect(inlineContents.notices == scheduledContents.notices)
        #expect(inlineContents.deadlines == scheduledContents.deadlines)
        // Nothing is left for the scheduler, and the outbox counter counts what was queued.
        let (due, pending) = try inline.writer.read { db in
            (try Store.dueTimers(db, now: now, limit: 10).count, try Store.counter(db, "outbox.pending"))
        }
        #expect(due == 0 && pending == 8)
    }

    /// An import batch is worked out on the importing connection's thread before the writer takes it
    /// (`Workflow.prepared`). Worked out at the instant it is stored, it stores exactly what the writer
    /// works out itself; worked out a day earlier, a stage that fell due in between is armed, not lost,
    /// and once fired leaves the deadlines as the writer's own working out would have.
    @Test func anImportWorkedOutAheadStoresWhatTheWriterWouldAndArmsWhatFellDueSince() throws {
        let items = citizens.map { ImportItem(citizen: $0.0, events: $0.1) }
        func imported(_ batch: [ImportItem]) throws -> (Store, Int64?) {
            let store = try Store.inMemory()
            let earliest = try store.writer.write { db -> Int64? in
                let tallies = Tallies()
                let (_, earliest) = try workflow.importBatch(batch, db, now: now, caller: .daemon, tallies: tallies)
                try tallies.flush(db)
                return earliest
            }
            return (store, earliest)
        }
        #expect(items.allSatisfy { $0.prepared == nil })
        let (inline, _) = try imported(items)
        let (atOnce, _) = try imported(workflow.prepared(items, now: now))
        #expect(try contents(atOnce) == contents(inline))
        #expect(try contents(inline).notices.count == 8)

        let dayBefore = now - 86_400_000
        let (ahead, earliest) = try imported(workflow.prepared(items, now: dayBefore))
        let due = try ahead.writer.read { try Store.dueTimers($0, now: now, limit: 10) }
        #expect(!due.isEmpty)
        #expect(due.allSatisfy { ($0.0.nextFireAt ?? .max) > dayBefore })
        #expect(earliest == due.compactMap(\.0.nextFireAt).min())
        let report = try ahead.writer.write { try workflow.fireDue($0, now: now, limit: 10) }
        #expect(report.fired == due.count)
        #expect(try contents(ahead).deadlines == contents(inline).deadlines)
        #expect(Set(try contents(inline).notices.map { $0.split(separator: " ")[0] })
            .isSubset(of: Set(try contents(ahead).notices.map { $0.split(separator: " ")[0] })))
    }

    @Test func aRefusedImportBatchQueuesNothingAndCountsNoFiring() async throws {
        let h = try await Harness(now: "2026-02-10")
        defer { Task { await h.stop() } }
        let overdue = ImportItem(citizen: Citizen(id: CitizenID(trusted: "C-old"), caseworker: "cw-a", takeover: LocalDate("2025-11-03")!), events: [])
        let unknown = ImportItem(citizen: Citizen(id: CitizenID(trusted: "C-bad"), caseworker: "nobody", takeover: LocalDate("2025-11-03")!), events: [])
        let refused = try await h.engine.importBatch([overdue, unknown], caller: .daemon)
        #expect(!refused.applied)
        #expect(try await h.outbox().isEmpty)
        #expect(h.engine.scheduler.snapshot.stats.fired == 0)
        let dryRun = try await h.engine.importBatch([overdue], dryRun: true, caller: .daemon)
        #expect(dryRun.problems.isEmpty)
        #expect(try await h.outbox().isEmpty)
        #expect(h.engine.scheduler.snapshot.stats.fired == 0)

        let applied = try await h.engine.importBatch([overdue], caller: .daemon)
        #expect(applied.added == 1)
        // Queued by the import's own transaction, delivered without any timer firing, and counted as caught up.
        #expect(try await h.outbox().map(\.notice.stage) == ["escalate-manager"])
        #expect(try await eventually { h.spool.map(\.stage) == ["escalate-manager"] })
        let stats = h.engine.scheduler.snapshot.stats
        #expect(stats.fired == 1 && stats.caughtUp == 1 && stats.queued == 1 && stats.recentLateness.isEmpty)
        #expect(await h.engine.scheduler.next == nil)
    }
}
