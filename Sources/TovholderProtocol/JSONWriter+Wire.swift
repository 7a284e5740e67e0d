import TovholderCore

extension WireError.Code: JSONWritable {}

// MARK: The hot wire types

extension Response: JSONWritable where Result: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("error", error)
            w.field("id", id)
            w.field("ok", ok)
            w.field("result", result)
            w.field("v", v)
        }
    }
}

extension Request: JSONWritable where Params: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("id", id)
            w.field("op", op)
            w.field("params", params)
            w.field("v", v)
        }
    }
}

extension CitizenImportParams: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("citizens", citizens)
            w.field("dryRun", dryRun)
        }
    }
}

extension CitizenAddParams: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("caseworker", caseworker)
            w.field("events", events)
            w.field("household", household)
            w.field("id", id.rawValue)
            w.field("takeover", takeover)
            w.field("track", track)
            w.field("visitation", visitation)
        }
    }
}

extension NewEventParams: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("date", date)
            w.field("kind", kind)
            w.field("offer", offer)
        }
    }
}

extension WireError: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("code", code)
            w.field("message", message)
        }
    }
}

extension Empty: JSONWritable {
    public func write(to writer: inout JSONWriter) { writer.object { _ in } }
}

extension EventView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("date", date)
            w.field("kind", kind)
            w.field("offer", offer)
            w.field("seq", seq)
        }
    }
}

extension DeadlineView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("citizen", citizen)
            w.field("closedOn", closedOn)
            w.field("due", due)
            w.field("instance", instance)
            w.field("metOn", metOn)
            w.field("nextFiring", nextFiring)
            w.field("nextStage", nextStage)
            w.field("progress", progress)
            w.field("required", required)
            w.field("rule", rule)
            w.field("status", status)
            w.field("suspendedDays", suspendedDays)
            w.field("title", title)
            w.field("trigger", trigger)
        }
    }
}

extension CitizenView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("caseworker", caseworker)
            w.field("deadlines", deadlines)
            w.field("events", events)
            w.field("household", household)
            w.field("id", id)
            w.field("takeover", takeover)
            w.field("track", track)
            w.field("visitation", visitation)
        }
    }
}

extension CitizenListView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("citizens", citizens)
            w.field("next", next)
        }
    }
}

extension DeadlineListView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in w.field("deadlines", deadlines) }
    }
}

extension TimersView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("caughtUp", caughtUp)
            w.field("fired", fired)
            w.field("latenessMaxMs", latenessMaxMs)
            w.field("latenessP50Ms", latenessP50Ms)
            w.field("latenessP99Ms", latenessP99Ms)
            w.field("queued", queued)
        }
    }
}

extension WritesView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("answerMaxUs", answerMaxUs)
            w.field("answerP50Us", answerP50Us)
            w.field("answerP99Us", answerP99Us)
            w.field("changes", changes)
            w.field("commitMaxUs", commitMaxUs)
            w.field("commitP50Us", commitP50Us)
            w.field("commitP99Us", commitP99Us)
            w.field("commits", commits)
            w.field("redone", redone)
        }
    }
}

extension StatusView: JSONWritable {
    public func write(to writer: inout JSONWriter) {
        writer.object { w in
            w.field("citizens", citizens)
            w.field("deadlines", deadlines)
            w.field("events", events)
            w.field("nextFiring", nextFiring)
            w.field("outbox", outbox)
            w.field("rulebook", rulebook)
            w.field("startedAt", startedAt)
            w.field("timers", timers)
            w.field("today", today)
            w.field("uptimeSeconds", uptimeSeconds)
            w.field("version", version)
            w.field("writes", writes)
        }
    }
}
