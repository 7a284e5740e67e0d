/// When each stage of a deadline fires, and which stage a firing sends.
///
/// Stages go out on working mornings: a stage on or before the due date that lands on a closed day moves
/// to the last working day before it; an escalation after the due date moves to the next working day.
public struct StagePlan: Sendable {
    public var calendar: DanishCalendar
    public var time: LocalTime
    /// The local hour stages are delivered at.
    public var sendHour: Int

    public init(calendar: DanishCalendar, time: LocalTime, sendHour: Int) {
        self.calendar = calendar
        self.time = time
        self.sendHour = sendHour
    }

    /// The local date a stage is delivered on.
    public func date(of stage: Stage, due: LocalDate) -> LocalDate {
        let day = due.adding(days: stage.offsetDays)
        return stage.offsetDays <= 0 ? calendar.workingDay(onOrBefore: day) : calendar.workingDay(onOrAfter: day)
    }

    /// Fire instants (epoch milliseconds) of each of the rule's stages, in stage order; non-decreasing.
    public func fireTimes(of rule: Rule, due: LocalDate) -> [Int64] {
        var last = Int64.min
        return rule.stages.map { stage in
            last = max(last, time.millis(on: date(of: stage, due: due), hour: sendHour))
            return last
        }
    }

    /// The timer a deadline should hold after stages up to `lastSent` have been sent (-1: none).
    /// Nil when the deadline is not open or every stage has been sent.
    public static func nextTimer(fireTimes: [Int64], lastSent: Int, state: DeadlineState) -> Timer? {
        guard state == .open, lastSent + 1 < fireTimes.count else { return nil }
        return Timer(stage: lastSent + 1, fireAt: fireTimes[lastSent + 1])
    }

    /// What a firing at `now` does: send at most the latest stage whose time has come (catch-up after
    /// downtime or a back-fill sends that one only, never the history), then arm the next one.
    public static func fire(fireTimes: [Int64], lastSent: Int, now: Int64) -> Firing {
        var send: Int?
        var index = lastSent + 1
        while index < fireTimes.count, fireTimes[index] <= now {
            send = index
            index += 1
        }
        let next = index < fireTimes.count ? Timer(stage: index, fireAt: fireTimes[index]) : nil
        return Firing(send: send, next: next)
    }

    public struct Timer: Hashable, Sendable {
        public var stage: Int
        public var fireAt: Int64
        public init(stage: Int, fireAt: Int64) {
            self.stage = stage
            self.fireAt = fireAt
        }
    }

    public struct Firing: Hashable, Sendable {
        /// The stage index to send, if any.
        public var send: Int?
        public var next: Timer?
        public init(send: Int?, next: Timer?) {
            self.send = send
            self.next = next
        }
    }
}
