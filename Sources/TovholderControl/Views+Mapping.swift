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
            deadlines: snapshot.deadlines.map { view($0, today: today) })
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
        let nextStage = stored.nextFireAt.flatMap { _ in rule?.stages[safe: stored.lastStage + 1]?.name }
        return DeadlineView(
            citizen: d.citizen.rawValue, rule: d.rule, title: rule?.title ?? d.rule, instance: d.instance,
            trigger: d.triggerDate, due: d.due, status: d.status(today: today), metOn: d.metOn, closedOn: d.closedOn,
            progress: d.progress, required: d.required, suspendedDays: d.suspendedDays, nextStage: nextStage,
            nextFiring: stored.nextFireAt?.iso8601)
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
