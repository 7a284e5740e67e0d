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
        let totals = try JSONSerialization.jsonObject(with: Data(first.out.utf8)) as! [String: Any]
        #expect(totals["added"] as? Int == 2)
        #expect(totals["eventsAdded"] as? Int == 2)
        #expect(totals["refusedBatches"] as? Int == 1)
        // The store held no deadlines: a first load, whose deadline indexes were built at its end.
        #expect(totals["indexSeconds"] is Double)
        #expect(ctl(["citizen", "show", "K-3"], socket: workspace.socket).status == 4)

        // Fix the file and add an event for K-1; running it again adds only what is missing.
        rows[4] = "K-3,cw-anna,\(t),,,,contract-signed,\(t.adding(days: 3)),"
        rows[5] = "K-4,cw-anna,\(t),,,,,,"
        rows.insert("K-1,cw-anna,\(t),\(t.adding(days: 2)),job-ready,,offer-ended,\(t.adding(days: 20)),praktik", at: 3)
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let second = ctl(["import", file, "--batch-size", "2", "--json"], socket: workspace.socket)
        #expect(second.status == 0, "\(second.err)")
        let again = try JSONSerialization.jsonObject(with: Data(second.out.utf8)) as! [String: Int]  // no first load now
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

    /// `import --dry-run` checks every batch against the store and reports what would be imported and
    /// every bad row by line, the same way as an import, and stores nothing.
    @Test func aDryRunReportsWhatWouldBeImportedAndStoresNothing() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let t = today().adding(days: -20)
        let file = workspace.directory.appendingPathComponent("export.csv").path
        var rows = [
            "citizen,caseworker,takeover,visitation,track,household,event,date,offer",
            "D-1,cw-anna,\(t),,job-ready,,contract-signed,\(t.adding(days: 4)),",  // 2
            "D-2,cw-anna,\(t),,,,,,",                                                // 3
            "D-3,cw-nobody,\(t),,,,,,",                                              // 4 unknown caseworker
        ]
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let before = try ctlJSON(["status"], socket: workspace.socket)

        let checked = ctl(["import", file, "--batch-size", "2", "--dry-run"], socket: workspace.socket)
        #expect(checked.status == 1)
        #expect(checked.err.contains("\(file):4: unknown caseworker 'cw-nobody'"), "\(checked.err)")
        #expect(checked.err.contains("\(file):4: batch of lines 4–4 would not be imported"), "\(checked.err)")
        #expect(checked.out.contains("dry run, nothing stored: would import 2 citizens and 1 event; 0 already up to date; 1 batch (1 citizen) would be refused"), "\(checked.out)")
        #expect(checked.err.contains("fix the lines reported above before importing"))
        let after = try ctlJSON(["status"], socket: workspace.socket)
        #expect(after["citizens"] as? Int == before["citizens"] as? Int)
        #expect(after["events"] as? Int == before["events"] as? Int)
        #expect(ctl(["citizen", "show", "D-1"], socket: workspace.socket).status == 4)

        // Fixed, the dry run passes (exit 0) and says so in JSON; only the import itself stores.
        rows[3] = "D-3,cw-anna,\(t),,,,,,"
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let clean = ctl(["import", file, "--dry-run", "--json"], socket: workspace.socket)
        #expect(clean.status == 0, "\(clean.err)")
        let totals = try JSONSerialization.jsonObject(with: Data(clean.out.utf8)) as! [String: Any]
        #expect(totals["dryRun"] as? Bool == true && totals["added"] as? Int == 3 && totals["eventsAdded"] as? Int == 1)
        #expect(ctl(["citizen", "show", "D-3"], socket: workspace.socket).status == 4)
        let imported = ctl(["import", file, "--json"], socket: workspace.socket)
        #expect(imported.status == 0, "\(imported.err)")
        let stored = try JSONSerialization.jsonObject(with: Data(imported.out.utf8)) as! [String: Any]
        #expect(stored["dryRun"] as? Bool == false && stored["added"] as? Int == 3)
        #expect(try ctlJSON(["status"], socket: workspace.socket)["citizens"] as? Int == (before["citizens"] as? Int ?? 0) + 3)
        // Checked again, the stored citizens are up to date.
        let again = ctl(["import", file, "--dry-run"], socket: workspace.socket)
        #expect(again.out.contains("would import 0 citizens and 0 events; 3 already up to date"), "\(again.out)")
        // A later export with another takeover date for D-1: the problem quotes what is stored, and the
        // audit trail says who was shown it.
        rows[1] = "D-1,cw-anna,\(t.adding(days: 1)),,job-ready,,contract-signed,\(t.adding(days: 4)),"
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let moved = ctl(["import", file, "--dry-run"], socket: workspace.socket)
        #expect(moved.status == 1)
        #expect(moved.err.contains("\(file):2: citizen D-1 is stored with other details (takeover \(t), file \(t.adding(days: 1)))"), "\(moved.err)")
        let audit = try ctlJSON(["audit", "D-1"], socket: workspace.socket)["entries"] as! [[String: Any]]
        #expect(audit.first?["action"] as? String == "citizen.import" && audit.first?["outcome"] as? String == "invalid")
    }

    /// A spreadsheet set to Danish saves CSV with semicolons (the comma is its decimal separator), a
    /// byte-order mark and CRLF line ends; such a file imports as it is, the separator read from its header.
    @Test func aSpreadsheetsSemicolonCSVWithAByteOrderMarkImports() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let t = today().adding(days: -15)
        let file = workspace.directory.appendingPathComponent("eksport.csv").path
        let rows = [
            "citizen;caseworker;takeover;visitation;track;household;event;date;offer",
            "S-1;cw-anna;\(t);;job-ready;;contract-signed;\(t.adding(days: 3));",
            "S-1;cw-anna;\(t);;job-ready;;offer-started;\(t.adding(days: 6));praktik",
            "S-2;cw-anna;\"\(t)\";;;\"H-9\";;;",  // quoted fields, as spreadsheets write some
        ]
        try (Data([0xEF, 0xBB, 0xBF]) + Data((rows.joined(separator: "\r\n") + "\r\n").utf8)).write(to: URL(fileURLWithPath: file))
        let imported = ctl(["import", file, "--json"], socket: workspace.socket)
        #expect(imported.status == 0, "\(imported.err)")
        let totals = try JSONSerialization.jsonObject(with: Data(imported.out.utf8)) as! [String: Any]
        #expect(totals["added"] as? Int == 2 && totals["eventsAdded"] as? Int == 2)
        let s1 = try ctlJSON(["citizen", "show", "S-1"], socket: workspace.socket)
        #expect((s1["events"] as? [[String: Any]])?.compactMap { $0["offer"] as? String } == ["praktik"])
        #expect(try ctlJSON(["citizen", "show", "S-2"], socket: workspace.socket)["household"] as? String == "H-9")
        // Told the wrong separator, the import names the one it used and stores nothing.
        let forced = ctl(["import", file, "--separator", ","], socket: workspace.socket)
        #expect(forced.status == 2)
        #expect(forced.err.contains("\(file):1: unknown columns citizen;caseworker;"), "\(forced.err)")
        #expect(forced.err.contains("(fields separated by ',')"), "\(forced.err)")
        #expect(ctl(["import", file, "--separator", "|"], socket: workspace.socket).err.contains("--separator must be ',', ';' or 'tab'"))
        #expect(ctl(["import", file, "--format", "jsonl", "--separator", ";"], socket: workspace.socket).err
            .contains("--separator is for CSV files"))
    }
}
