/// Derives a citizen's deadlines from their events and the rulebook. Pure and deterministic: the same
/// inputs always give the same deadlines, in the same order, which is what lets the store keep them as a
/// cache and lets a restart or a rulebook change re-derive them.
public enum Derivation {
    /// A point in case order. Takeover and visitation come before any event recorded on the same day.
    struct Occurrence {
        var date: LocalDate
        var order: Int64
        var instance: String
    }

    public static func deadlines(
        for citizen: Citizen, events unsorted: [CaseEvent], rulebook: Rulebook, calendar: DanishCalendar
    ) -> [Deadline] {
        let events = unsorted.sorted(by: CaseEvent.caseOrder)
        var result: [Deadline] = []
        for id in rulebook.ruleIDs {
            for occurrence in occurrences(of: id, citizen: citizen, events: events, rulebook: rulebook) {
                guard let rule = rulebook.rule(id, inForceOn: occurrence.date),
                    rule.tracks.isEmpty || citizen.track.map(rule.tracks.contains) == true
                else { continue }
                if let deadline = derive(rule, from: occurrence, citizen: citizen, events: events, calendar: calendar) {
                    result.append(deadline)
                }
            }
        }
        return result
    }

    /// Where each trigger of any version of the rule occurs, in case order, each once.
    static func occurrences(of id: String, citizen: Citizen, events: [CaseEvent], rulebook: Rulebook) -> [Occurrence] {
        var triggers: [Trigger] = []
        for version in rulebook.versions(of: id) {
            for trigger in version.triggers where !triggers.contains(trigger) { triggers.append(trigger) }
        }
        var found: [Occurrence] = []
        for trigger in triggers {
            switch trigger {
            case .takeover:
                found.append(Occurrence(date: citizen.takeover, order: -2, instance: "takeover"))
            case .visitation:
                if let visitation = citizen.visitation {
                    found.append(Occurrence(date: visitation, order: -1, instance: "visitation"))
                }
            case .event(let matcher):
                for event in events where matcher.matches(event) {
                    found.append(Occurrence(date: event.date, order: event.sequence, instance: "e\(event.sequence)"))
                }
            }
        }
        // No new deadline starts once the case has been closed by a waiving event before the trigger.
        return found.sorted { ($0.date, $0.order) < ($1.date, $1.order) }
    }

    static func derive(
        _ rule: Rule, from start: Occurrence, citizen: Citizen, events: [CaseEvent], calendar: DanishCalendar
    ) -> Deadline? {
        var due = rule.due.applied(to: start.date)
        var state = DeadlineState.open
        var closedOn: LocalDate?
        var progress = 0
        var suspendedDays = 0
        var pausedSince: LocalDate?

        // A case closed before this trigger starts no new deadline.
        let closedBefore = events.contains { event in
            (event.date, event.sequence) < (start.date, start.order) && rule.waivedBy.contains { $0.matches(event) }
        }
        if closedBefore { return nil }

        for event in events where (event.date, event.sequence) > (start.date, start.order) {
            if rule.satisfiedBy.contains(where: { $0.matches(event) }) {
                progress += 1
                if progress >= rule.count {
                    state = .met
                    closedOn = event.date
                    break
                }
            } else if rule.waivedBy.contains(where: { $0.matches(event) }) {
                state = .waived
                closedOn = event.date
                break
            } else if rule.suspendable, event.kind == .paused, pausedSince == nil, event.date <= due {
                pausedSince = event.date
            } else if event.kind == .resumed, let since = pausedSince {
                let paused = since.days(until: event.date)
                suspendedDays += paused
                due = due.adding(days: paused)
                pausedSince = nil
            }
        }
        if state == .open, pausedSince != nil { state = .suspended }
        if rule.rollToWorkingDay { due = calendar.workingDay(onOrAfter: due) }
        return Deadline(
            citizen: citizen.id, rule: rule.id, instance: start.instance, ruleVersion: rule.effectiveFrom,
            triggerDate: start.date, due: due, state: state, closedOn: closedOn, progress: progress,
            required: rule.count, suspendedDays: suspendedDays)
    }
}
