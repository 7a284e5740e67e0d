import TovholderCore
import TovholderEngine
import TovholderProtocol
import TovholderStore

extension RequestHandler {
    func view(_ snapshot: CitizenSnapshot) -> CitizenView {
        let today = engine.workflow.today(engine.wall.nowMillis())
        return view(
            snapshot.citizen,
            events: snapshot.events.map { EventView(seq: $0.sequence, kind: $0.kind, date: $0.date, offer: $0.offer) },
            // The store's order (trigger date, rule, instance), whether the snapshot was just written or read.
            deadlines: snapshot.deadlines.sorted {
                ($0.deadline.triggerDate, $0.deadline.rule, $0.deadline.instance)
                    < ($1.deadline.triggerDate, $1.deadline.rule, $1.deadline.instance)
            }.map { view($0, today: today) })
    }

    func view(_ citizen: Citizen, events: [EventView]?, deadlines: [DeadlineView]?) -> CitizenView {
        CitizenView(
            id: citizen.id.rawValue, caseworker: citizen.caseworker, takeover: citizen.takeover,
            visitation: citizen.visitation, track: citizen.track, household: citizen.household, events: events,
            deadlines: deadlines)
    }

    func view(_ stored: StoredDeadline, today: LocalDate) -> DeadlineView {
        let d = stored.deadline
        let rule = engine.workflow.rulebook.rule(d.rule, inForceOn: d.triggerDate)
        var nextStage: String?
        var nextFiring = stored.nextFireAt
        if let rule, let at = stored.nextFireAt {
            // A timer already due fires now with the latest stage it has reached (catch-up), not the one it was armed for.
            let now = engine.wall.nowMillis()
            let firing = StagePlan.fire(
                fireTimes: engine.workflow.plan.fireTimes(of: rule, due: d.due), lastSent: stored.lastStage, now: now)
            if let send = firing.send {
                nextStage = rule.stages[send].name
                nextFiring = max(at, now)
            } else {
                nextStage = rule.stages[safe: stored.lastStage + 1]?.name
            }
        }
        return DeadlineView(
            citizen: d.citizen.rawValue, rule: d.rule, title: rule?.title ?? d.rule, instance: d.instance,
            trigger: d.triggerDate, due: d.due, status: d.status(today: today), metOn: d.metOn, closedOn: d.closedOn,
            progress: d.progress, required: d.required, suspendedDays: d.suspendedDays, nextStage: nextStage,
            nextFiring: nextStage == nil ? nil : nextFiring?.iso8601)
    }

    func view(_ entry: OutboxEntry) -> NotificationView {
        let n = entry.notice
        return NotificationView(
            id: entry.id, key: n.key, citizen: n.citizen, rule: n.rule, stage: n.stage, stageKind: n.stageKind,
            due: n.due, recipient: n.recipient, role: n.role, channel: n.channel, state: entry.state.rawValue,
            attempts: entry.attempts, createdAt: entry.createdAt.iso8601, deliveredAt: entry.deliveredAt?.iso8601,
            nextAttemptAt: entry.state == .pending ? entry.nextAttemptAt.iso8601 : nil, lastError: entry.lastError)
    }
}

extension Array {
    subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
