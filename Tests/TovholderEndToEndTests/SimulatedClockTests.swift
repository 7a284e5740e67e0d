import Foundation
import Testing
import TovholderHarness
import TovholderCore

@Suite(.serialized) struct SimulatedClockTests {
    @Test func movingASimulatedClockFiresTheTimerAtItsInstantAndReportsItsLateness() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace, arguments: [
            "--config", workspace.config, "--state-dir", workspace.directory.path, "--socket", workspace.socket,
            "--simulated-clock",
        ]).waitUntilServing()
        defer { daemon.stop() }
        let takeover = today()
        #expect(ctl(["citizen", "add", "K-1", "--caseworker", "cw-anna", "--takeover", "\(takeover)"], socket: workspace.socket).status == 0)
        // The contract's first reminder: 7 days before the due date, moved back to a working day, at 08:00.
        let deadlines = try ctlJSON(["deadlines", "K-1"], socket: workspace.socket)["deadlines"] as! [[String: Any]]
        let contract = deadlines.first { $0["rule"] as? String == "contract" }!
        #expect(contract["nextStage"] as? String == "remind-7d")
        let fireAt = ISO8601DateFormatter().date(from: contract["nextFiring"] as! String)!
        let millis = Int64(fireAt.timeIntervalSince1970 * 1000)

        let client = try RawClient(path: workspace.socket)
        let moved = client.request(#"{"v":1,"op":"clock.set","params":{"nowMillis":\#(millis - 300)}}"#)
        #expect(moved?["ok"] as? Bool == true)
        #expect(workspace.spoolLines.isEmpty)
        #expect(waitFor(5) { workspace.spoolLines.contains { $0["stage"] as? String == "remind-7d" } })
        let status = try ctlJSON(["status"], socket: workspace.socket)
        let timers = status["timers"] as! [String: Any]
        #expect((timers["fired"] as? Int ?? 0) >= 1)
        #expect((timers["latenessMaxMs"] as? Int).map { $0 >= 0 && $0 < 1000 } == true)
        let human = ctl(["status"], socket: workspace.socket).out
        #expect(human.contains("timers:       \(timers["fired"] as? Int ?? -1) fired, "), "\(human)")
        #expect(human.contains("; lateness p50 ") && human.contains(" ms (last 10,000)"), "\(human)")
        let audit = try ctlJSON(["audit"], socket: workspace.socket)["entries"] as! [[String: Any]]
        #expect(audit.contains { $0["action"] as? String == "clock.set" })
    }

    @Test func anOrdinaryDaemonRefusesToMoveItsClock() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let refused = try RawClient(path: workspace.socket).request(#"{"v":1,"op":"clock.set","params":{"nowMillis":0}}"#)
        let error = refused?["error"] as? [String: Any]
        #expect(error?["code"] as? String == "unavailable")
        #expect((error?["message"] as? String)?.contains("--simulated-clock") == true)
    }
}
