import Foundation
import Testing
import TovholderHarness
import TovholderCore

/// SIGKILL mid-work: nothing acknowledged is lost, nothing delivered is delivered twice.
@Suite(.serialized) struct CrashTests {
    @Test func killDashNineLosesNoAcknowledgedEventAndResendsNothingDelivered() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        let client = try RawClient(path: workspace.socket)
        let takeover = today().adding(days: -60)

        // Pipeline requests on one connection; count every acknowledgement that arrives before the kill.
        // Each citizen's deadlines are overdue, so the scheduler and dispatcher are busy when it dies.
        let total = 3000
        let sender = Thread {
            for index in 0..<total {
                client.send(#"{"v":1,"id":\#(index),"op":"citizen.add","params":{"id":"K-\#(index)","caseworker":"cw-anna","takeover":"\#(takeover)","events":[{"kind":"contract-signed","date":"\#(takeover.adding(days: 3))"}]}}"# + "\n")
            }
        }
        sender.start()
        var acknowledged: [Int] = []
        while acknowledged.count < 400, let line = client.readLine() {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["ok"] as? Bool == true {
                acknowledged.append(object["id"] as! Int)
            }
        }
        daemon.signal(SIGKILL)
        #expect(daemon.wait() == SIGKILL)
        while let line = client.readLine() {  // answers already in the socket buffer were acknowledged too
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["ok"] as? Bool == true {
                acknowledged.append(object["id"] as! Int)
            }
        }
        #expect(acknowledged.count >= 400)
        let deliveredBefore = Set(workspace.spoolLines.compactMap { $0["key"] as? String })

        let restarted = try DaemonProcess(workspace).waitUntilServing()
        defer { restarted.stop() }
        for id in acknowledged {
            let shown = ctl(["citizen", "show", "K-\(id)", "--json"], socket: workspace.socket)
            #expect(shown.status == 0, "acknowledged citizen K-\(id) was lost (exit \(shown.status): \(shown.err))")
            if shown.status != 0 { break }
            #expect(shown.out.contains("\"contract-signed\""))
        }
        // Let the restarted daemon fire and deliver everything, then check the spool.
        #expect(waitFor(30) {
            (try? ctlJSON(["status"], socket: workspace.socket)["outbox"] as? [String: Int])?["pending"] == 0
        })
        let status = try ctlJSON(["status"], socket: workspace.socket)
        let citizens = status["citizens"] as! Int
        let keys = workspace.spoolLines.compactMap { $0["key"] as? String }
        #expect(Set(keys).count == keys.count, "a notice was written to the spool twice")
        #expect(deliveredBefore.isSubset(of: Set(keys)))
        // With the contract met, each stored citizen has two overdue deadlines (first company offer, Danish
        // education), each escalated once to the team lead through the spool and the journal.
        #expect(keys.count == citizens * 2)
        #expect((status["outbox"] as? [String: Int])?["delivered"] == citizens * 4)
    }
}
