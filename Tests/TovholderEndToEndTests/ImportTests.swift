import Foundation
import Testing
import TovholderHarness
import TovholderCore

@Suite(.serialized) struct ImportTests {
    @Test func aCSVImportReportsBadRowsByLineIsAllOrNothingPerBatchAndCanBeRunAgain() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let t = today().adding(days: -30)
        let file = workspace.directory.appendingPathComponent("export.csv").path
        var rows = ["citizen,caseworker,takeover,visitation,track,household,event,date,offer"]
        rows += [
            "K-1,cw-anna,\(t),\(t.adding(days: 2)),job-ready,,contract-signed,\(t.adding(days: 5)),",   // 2
            "K-1,cw-anna,\(t),\(t.adding(days: 2)),job-ready,,offer-started,\(t.adding(days: 9)),praktik", // 3
            "K-2,cw-anna,\(t),,,H-1,,,",                                                                 // 4
            "K-3,cw-anna,\(t),,,,contract-signed,2026-02-30,",                                           // 5 bad date
            "K-4,cw-anna,\(t),,,,offer-ended,\(t.adding(days: 1)),praktik",                              // 6 no offer running
        ]
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)

        let first = ctl(["import", file, "--batch-size", "2", "--json"], socket: workspace.socket)
        #expect(first.status == 1)
        #expect(first.err.contains("\(file):5: date '2026-02-30' is not a real date"))
        #expect(first.err.contains("\(file):6: no praktik offer is running on \(t.adding(days: 1))"))
        #expect(first.err.contains("\(file):5: batch of lines 5–6 not imported"))
        let totals = try JSONSerialization.jsonObject(with: Data(first.out.utf8)) as! [String: Int]
        #expect(totals["added"] == 2)
        #expect(totals["eventsAdded"] == 2)
        #expect(totals["refusedBatches"] == 1)
        #expect(ctl(["citizen", "show", "K-3"], socket: workspace.socket).status == 4)

        // Fix the file and add an event for K-1; running it again adds only what is missing.
        rows[4] = "K-3,cw-anna,\(t),,,,contract-signed,\(t.adding(days: 3)),"
        rows[5] = "K-4,cw-anna,\(t),,,,,,"
        rows.insert("K-1,cw-anna,\(t),\(t.adding(days: 2)),job-ready,,offer-ended,\(t.adding(days: 20)),praktik", at: 3)
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let second = ctl(["import", file, "--batch-size", "2", "--json"], socket: workspace.socket)
        #expect(second.status == 0, "\(second.err)")
        let again = try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as! [String: Int]
        #expect(again["added"] == 2)
        #expect(again["unchanged"] == 1)
        #expect(again["eventsAdded"] == 2)
        let status = try ctlJSON(["status"], socket: workspace.socket)
        #expect(status["citizens"] as? Int == 4)
        #expect(status["events"] as? Int == 4)
        let k1 = try ctlJSON(["citizen", "show", "K-1"], socket: workspace.socket)
        #expect((k1["events"] as? [Any])?.count == 3)
        #expect(k1["household"] == nil)
        #expect(try ctlJSON(["citizen", "show", "K-2"], socket: workspace.socket)["household"] as? String == "H-1")
        let audit = try ctlJSON(["audit", "K-3"], socket: workspace.socket)["entries"] as! [[String: Any]]
        #expect(audit.first?["action"] as? String == "citizen.import")
    }

    @Test func jsonLinesAreImportedWithTheirLineNumbers() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let t = today().adding(days: -10)
        let file = workspace.directory.appendingPathComponent("export.jsonl").path
        try """
            {"id":"J-1","caseworker":"cw-anna","takeover":"\(t)","events":[{"kind":"contract-signed","date":"\(t.adding(days: 1))"}]}

            {"id":"J-2","caseworker":"cw-anna","takeover":"\(t)","track":"activity-ready"}
            {"id":"J-3","caseworker":"cw-anna"}
            """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = ctl(["import", file, "--batch-size", "2"], socket: workspace.socket)
        #expect(result.status == 1)
        #expect(result.err.contains("\(file):4: missing field 'takeover'"))
        #expect(result.out.contains("imported 2 citizens and 1 event; 0 already up to date"))
    }
}
