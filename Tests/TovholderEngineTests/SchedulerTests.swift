import Foundation
import GRDB
import Testing
import TovholderCore
@testable import TovholderEngine
import TovholderStore

@Suite(.serialized) struct SchedulerTests {
    @Test func aReminderFiresAtItsMorningAndIsDeliveredToTheSpool() async throws {
        // Takeover Mon 5 Jan 2026 → contract due Thu 5 Feb; remind-7d on Thu 29 Jan at 08:00.
        let h = try await Harness(now: "2026-01-20")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")
        #expect(await h.engine.scheduler.next == Harness.morning("2026-01-29"))

        await h.wall.advance(to: Harness.morning("2026-01-29") - 1)
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await h.outbox().isEmpty)

        await h.wall.advance(byMillis: 1)
        #expect(try await eventually { h.spool.count == 1 })
        let notice = h.spool[0]
        #expect(notice.stage == "remind-7d")
        #expect(notice.recipient == "cw-a")
        #expect(notice.due == LocalDate("2026-02-05"))
        #expect(notice.key == "C-1/contract#takeover/remind-7d/cw-a/spool")
        #expect(try await eventually { try await h.outbox(.delivered).count == 1 })
        #expect(await h.engine.scheduler.next == Harness.morning("2026-02-05"))
        // Still to come when the scheduler went to sleep: its lateness counts.
        let stats = h.engine.scheduler.snapshot.stats
        #expect(stats.fired == 1 && stats.caughtUp == 0 && stats.recentLateness.count == 1)
    }

    /// The writer tells the scheduler of a new earliest timer without waiting for the actor; the scheduler,
    /// asleep until a later timer, must wake and plan for the earlier one.
    @Test func aTimerArmedBeforeTheOneTheSchedulerSleepsForFiresOnItsMorning() async throws {
        let h = try await Harness(now: "2026-01-20")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")  // remind-7d Thu 29 Jan
        #expect(h.engine.scheduler.snapshot.next == Harness.morning("2026-01-29"))
        try await Task.sleep(for: .milliseconds(50))  // the scheduler is asleep until 29 Jan
        _ = try await h.add("C-2", takeover: "2025-12-29")  // contract due Thu 29 Jan → remind-7d Thu 22 Jan
        #expect(h.engine.scheduler.snapshot.next == Harness.morning("2026-01-22"))  // before the add returned

        await h.wall.advance(to: Harness.morning("2026-01-22"))
        #expect(try await eventually { h.spool.count == 1 })
        #expect(h.spool.first?.citizen == "C-2")
        #expect(h.spool.first?.stage == "remind-7d")
        #expect(try await eventually { h.engine.scheduler.snapshot.next == Harness.morning("2026-01-29") })
    }

    /// `status` counts are cached between writes: every change, firing and delivery must show at once.
    @Test func statusCountsFollowEveryCommittedChange() async throws {
        let h = try await Harness(now: "2026-01-20")
        defer { Task { await h.stop() } }
        let empty = try h.engine.status()
        #expect(empty.citizens == 0)
        #expect(try h.engine.status().citizens == 0)  // served from the cache
        _ = try await h.add("C-1", takeover: "2026-01-05")
        let added = try h.engine.status()
        #expect(added.citizens == 1)
        #expect(added.deadlines[.pending, default: 0] > 0)
        _ = try await h.record("C-1", .contractSigned, "2026-01-19")
        #expect(try h.engine.status().deadlines[.met] == 1)
        #expect(try h.engine.status().events == 1)

        // A firing queues a notice and the dispatcher delivers it: both are writes status must see.
        _ = try await h.add("C-2", takeover: "2026-01-05")
        await h.wall.advance(to: Harness.morning("2026-01-29"))
        #expect(try await eventually { try h.engine.status().outbox[.delivered] == 1 })
        #expect(try h.engine.status().outbox[.pending] == 0)
        // Overdue depends on the day, not only on writes.
        await h.wall.advance(to: Harness.morning("2026-02-06"))
        #expect(try await eventually { try h.engine.status().deadlines[.overdue, default: 0] >= 1 })
    }

    @Test func escalationsGoToTheTeamLeadThenTheManager() async throws {
        let h = try await Harness(now: "2026-02-05", hour: 9)
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")  // due today 5 Feb; remind-7d and due passed
        #expect(try await eventually { h.spool.map(\.stage) == ["due"] })
        await h.wall.advance(to: Harness.morning("2026-02-06"))
        #expect(try await eventually { h.spool.map(\.stage) == ["due", "escalate-lead"] })
        #expect(h.spool[1].recipient == "lead-n")
        #expect(h.spool[1].status == .overdue)
        await h.wall.advance(to: Harness.morning("2026-02-19"))
        #expect(try await eventually { h.spool.count == 3 })
        #expect(h.spool[2].recipient == "mgr")
        #expect(await h.engine.scheduler.next == nil)
    }

    @Test func aBackfilledOldCaseSendsOnlyItsLatestMissedStageOnce() async throws {
        let h = try await Harness(now: "2026-06-01")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-old", takeover: "2026-01-05")  // every stage of the contract deadline is past
        #expect(try await eventually { h.spool.count == 1 })
        #expect(h.spool[0].stage == "escalate-manager")
        await h.wall.advance(byMillis: 86_400_000 * 30)
        try await Task.sleep(for: .milliseconds(50))
        #expect(h.spool.count == 1)
        #expect(try await h.outbox().count == 1)
        // Months overdue when it was armed: caught up, and no lateness of the scheduler's.
        let stats = h.engine.scheduler.snapshot.stats
        #expect(stats.fired == 1 && stats.caughtUp == 1 && stats.lateness(percentile: 100) == nil)
    }

    @Test func meetingADeadlineDisarmsItsTimer() async throws {
        let h = try await Harness(now: "2026-01-20")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")
        _ = try await h.record("C-1", .contractSigned, "2026-01-20")
        await h.wall.advance(to: Harness.morning("2026-03-01"))
        try await Task.sleep(for: .milliseconds(50))
        #expect(try await h.outbox().isEmpty)
        let stored = try await h.engine.store.writer.read { try Store.deadlines($0, citizen: CitizenID(trusted: "C-1")) }
        #expect(stored.allSatisfy { $0.nextFireAt == nil })
    }

    @Test func afterDowntimeEachDeadlineSendsOnlyItsLatestMissedStage() async throws {
        let directory = scratchDirectory("downtime")
        let first = try await Harness(directory: directory, now: "2026-01-20")
        for index in 0..<20 { _ = try await first.add("C-\(index)", takeover: "2026-01-05") }
        await first.stop()
        // Down for three weeks: remind-7d, due and escalate-lead all passed for every citizen.
        let second = try await Harness(directory: directory, now: "2026-02-10")
        defer { Task { await second.stop() } }
        #expect(try await eventually { second.spool.count == 20 })
        try await Task.sleep(for: .milliseconds(50))
        #expect(second.spool.count == 20)
        #expect(Set(second.spool.map(\.stage)) == ["escalate-lead"])
        #expect(Set(second.spool.map(\.key)).count == 20)
        // Due while the daemon was down: all caught up at start, none counted as the scheduler's lateness.
        let stats = second.engine.scheduler.snapshot.stats
        #expect(stats.fired == 20 && stats.caughtUp == 20 && stats.recentLateness.isEmpty)
    }

    @Test func aFailingChannelIsRetriedWithBackoffThenMarkedFailed() async throws {
        let directory = scratchDirectory("fail")
        let missing = directory.appendingPathComponent("no-such-dir/spool.jsonl").path
        let h = try await Harness(directory: directory, now: "2026-02-05", hour: 9, spoolPath: missing, maxAttempts: 3)
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")
        #expect(try await eventually { try await h.outbox().first?.attempts == 1 })
        let first = try await h.outbox()[0]
        #expect(first.state == .pending)
        #expect(first.lastError?.contains("cannot open spool") == true)
        #expect(first.nextAttemptAt == h.wall.nowMillis() + 60_000)
        await h.wall.advance(byMillis: 60_000)
        #expect(try await eventually { try await h.outbox().first?.attempts == 2 })
        #expect(try await h.outbox()[0].nextAttemptAt == h.wall.nowMillis() + 120_000)
        await h.wall.advance(byMillis: 120_000)
        #expect(try await eventually { try await h.outbox(.failed).count == 1 })
        #expect(try await h.outbox(.failed)[0].attempts == 3)
    }

    /// The watchdog's view of the scheduler: being behind is no fault (a wall clock that jumped, a
    /// catch-up in batches); only being behind without a single firing for the whole patience is.
    @Test func theSchedulerWatchCallsOnlyAStalledSchedulerStuck() {
        var watch = SchedulerWatch(graceMillis: 60_000, patienceMillis: 60_000)
        let due: Int64 = 1_000_000_000
        // Nothing armed, or a timer due no more than the grace ago: fine.
        #expect(watch.stuck(next: nil, fired: 0, wallNow: due, monotonicNow: 0) == nil)
        #expect(watch.stuck(next: due, fired: 0, wallNow: due + 60_000, monotonicNow: 30_000) == nil)
        // The wall clock jumped a day ahead: behind, but not stuck at first sight nor before the patience.
        let wall = due + 86_400_000
        #expect(watch.stuck(next: due, fired: 0, wallNow: wall, monotonicNow: 60_000) == nil)
        #expect(watch.stuck(next: due, fired: 0, wallNow: wall + 30_000, monotonicNow: 90_000) == nil)
        // A batch fired meanwhile: progress, and the patience starts again from here.
        #expect(watch.stuck(next: due, fired: 5000, wallNow: wall + 60_000, monotonicNow: 120_000) == nil)
        #expect(watch.stuck(next: due, fired: 5000, wallNow: wall + 90_000, monotonicNow: 179_999) == nil)
        // Nothing fired for the whole patience since: stuck on that timer, and it stays so.
        #expect(watch.stuck(next: due, fired: 5000, wallNow: wall + 120_000, monotonicNow: 180_000) == due)
        #expect(watch.stuck(next: due, fired: 5000, wallNow: wall + 150_000, monotonicNow: 210_000) == due)
        // Caught up: fine again; a later lag gets a patience of its own.
        let later = wall + 200_000
        #expect(watch.stuck(next: later, fired: 5001, wallNow: wall + 150_000, monotonicNow: 240_000) == nil)
        #expect(watch.stuck(next: later, fired: 5001, wallNow: later + 60_001, monotonicNow: 270_000) == nil)
        #expect(watch.stuck(next: later, fired: 5001, wallNow: later + 90_000, monotonicNow: 329_999) == nil)
        #expect(watch.stuck(next: later, fired: 5001, wallNow: later + 120_000, monotonicNow: 330_000) == later)
    }

    /// What the watchdog reads: the earliest armed timer, and the timers the scheduler fired itself. Those
    /// the writer fires in a change (a deadline derived already due) are not the scheduler's progress.
    @Test func theSchedulersProgressCountsItsOwnFiringsOnly() async throws {
        let h = try await Harness(now: "2026-01-20")
        defer { Task { await h.stop() } }
        _ = try await h.add("C-1", takeover: "2026-01-05")  // remind-7d Thu 29 Jan
        _ = try await h.add("C-2", takeover: "2025-11-03")  // contract due 3 Dec: fired by the writer, overdue
        #expect(try await eventually { h.engine.scheduler.snapshot.stats.fired >= 1 })
        #expect(h.engine.scheduler.progress.fired == 0)
        #expect(h.engine.scheduler.progress.next == Harness.morning("2026-01-29"))

        // A day late (the wall clock jumped): behind at first, then the scheduler fires and moves on.
        var watch = SchedulerWatch(graceMillis: 60_000, patienceMillis: 0)
        await h.wall.advance(to: Harness.morning("2026-01-30"))
        // The count is published as the firing is recorded, the next timer once it has been looked up
        // after it: wait for both (reading them as soon as the count moved failed one run in five).
        #expect(try await eventually {
            let (next, fired) = h.engine.scheduler.progress
            return fired == 1 && next.map { $0 > Harness.morning("2026-01-30") } ?? true
        }, "the 29th's timer fired and the next one is still to come")
        let (next, fired) = h.engine.scheduler.progress
        #expect(watch.stuck(next: next, fired: fired, wallNow: Harness.morning("2026-01-30"), monotonicNow: 0) == nil)
        // Had it not fired, the same watch would have called it stuck on the 29th's timer.
        #expect(watch.stuck(next: Harness.morning("2026-01-29"), fired: 0, wallNow: Harness.morning("2026-01-30"), monotonicNow: 0) == nil)
        #expect(watch.stuck(next: Harness.morning("2026-01-29"), fired: 0, wallNow: Harness.morning("2026-01-30"), monotonicNow: 1) == Harness.morning("2026-01-29"))
    }
}
