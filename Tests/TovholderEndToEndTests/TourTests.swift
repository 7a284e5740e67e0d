import Foundation
import Testing
import TovholderHarness
import TovholderProtocol
import TovholderCore

/// The README's tour, against the real daemon and CLI.
@Suite(.serialized) struct TourTests {
    @Test func addRecordAndReadDeadlinesAndSeeNotificationsInTheSpool() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let socket = workspace.socket
        let takeover = today().adding(days: -40)

        let added = try ctlJSON(["citizen", "add", "K-100", "--caseworker", "cw-anna", "--takeover", "\(takeover)",
                                 "--visitation", "\(takeover.adding(days: 3))", "--track", "job-ready"], socket: socket)
        #expect(added["id"] as? String == "K-100")
        let deadlines = try ctlJSON(["deadlines", "K-100"], socket: socket)["deadlines"] as! [[String: Any]]
        let contract = deadlines.first { $0["rule"] as? String == "contract" }!
        #expect(contract["citizen"] as? String == "K-100")
        #expect(contract["due"] as? String == takeover.adding(months: 1).description)
        #expect(contract["status"] as? String == "overdue")
        #expect(contract["metOn"] == nil)
        #expect(Set(deadlines.compactMap { $0["rule"] as? String }) == [
            "contract", "first-company-offer", "danish-education", "health-assessment", "follow-up-conversations",
            "programme-review",
        ])

        // The overdue deadlines escalate to the team lead once each, through both channels.
        #expect(waitFor { workspace.spoolLines.filter { $0["stage"] as? String == "escalate-lead" }.count == 3 })
        let line = workspace.spoolLines.first { $0["rule"] as? String == "contract" }!
        #expect(line["citizen"] as? String == "K-100")
        #expect(line["recipient"] as? String == "tl-bo")
        #expect(line["due"] as? String == takeover.adding(months: 1).description)
        #expect(line["key"] as? String == "K-100/contract#takeover/escalate-lead/tl-bo/spool")

        let signed = takeover.adding(days: 35)
        let recorded = ctl(["event", "K-100", "contract-signed", "--date", "\(signed)"], socket: socket)
        #expect(recorded.status == 0)
        #expect(recorded.out.contains("met-late"))
        let after = try ctlJSON(["deadlines", "K-100"], socket: socket)["deadlines"] as! [[String: Any]]
        let met = after.first { $0["rule"] as? String == "contract" }!
        #expect(met["status"] as? String == "met-late")
        #expect(met["metOn"] as? String == signed.description)

        _ = ctl(["event", "K-100", "offer-started", "--offer", "praktik", "--date", "\(today())"], socket: socket)
        let overdue = try ctlJSON(["deadlines", "--overdue"], socket: socket)["deadlines"] as! [[String: Any]]
        #expect(Set(overdue.compactMap { $0["rule"] as? String }) == ["danish-education"])

        let status = try ctlJSON(["status"], socket: socket)
        #expect(status["citizens"] as? Int == 1)
        #expect(status["events"] as? Int == 2)
        #expect((status["deadlines"] as? [String: Int])?["overdue"] == 1)
        #expect(status["version"] as? String == "0.1.0")
        #expect(status["nextFiring"] is String)
        // The writer's own account: the citizen and the event were each committed and answered.
        let writes = status["writes"] as? [String: Int] ?? [:]
        #expect(writes["changes"] ?? 0 >= 2 && writes["commits"] ?? 0 >= 2, "\(writes)")
        #expect((writes["commitP99Us"] ?? 0) > 0 && (writes["answerMaxUs"] ?? 0) >= (writes["answerP50Us"] ?? .max))
        let humanStatus = ctl(["status"], socket: socket).out
        #expect(humanStatus.contains("commits,") && humanStatus.contains("commit time:  p50 "), "\(humanStatus)")
        #expect(humanStatus.contains("answer time:  p50 ") && humanStatus.contains("(last 1–2 min)"), "\(humanStatus)")

        let human = ctl(["citizen", "show", "K-100"], socket: socket)
        #expect(human.status == 0)
        #expect(human.out.contains("contract                 \(takeover.adding(months: 1))  met-late  \(signed)"))

        let notifications = try ctlJSON(["notifications"], socket: socket)["notifications"] as! [[String: Any]]
        #expect(notifications.count == 6)
        #expect(waitFor { (try? ctlJSON(["notifications", "--pending"], socket: socket)["notifications"] as? [Any])?.isEmpty == true })

        let audit = try ctlJSON(["audit", "K-100"], socket: socket)["entries"] as! [[String: Any]]
        #expect(audit.contains { $0["action"] as? String == "citizen.add" && $0["uid"] as? Int == Int(getuid()) })
        #expect(audit.contains { $0["action"] as? String == "deadlines" })
        #expect(!daemon.output.contains("CPR"))
    }

    @Test func theDaemonSaysWhenItIsNotRunning() throws {
        let result = ctl(["status"], socket: "/tmp/tvh-none/control.sock")
        #expect(result.status == 1)
        #expect(result.err == "tovholderctl: tovholderd is not running (nothing listens on /tmp/tvh-none/control.sock); start it, or point --socket or TOVHOLDER_SOCKET at its socket\n")
    }
}

@Suite struct SilentDaemonTests {
    @Test func aDaemonThatAcceptsButNeverAnswersIsAnErrorNotAHang() throws {
        let path = "/tmp/tvh-mute-\(getpid()).sock"
        unlink(path)
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener); unlink(path) }
        _ = withUnixSocketAddress(path) { bind(listener, $0, $1) }
        listen(listener, 4)
        let started = Date()
        let result = ctl(["status", "--timeout", "1"], socket: path)
        #expect(result.status == 1)
        #expect(result.err.contains("did not answer within 1 s"))
        #expect(Date().timeIntervalSince(started) < 10)
    }
}

/// Polls `condition` for up to `seconds`.
func waitFor(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}
