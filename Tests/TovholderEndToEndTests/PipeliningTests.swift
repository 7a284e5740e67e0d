import Foundation
import Testing
import TovholderCore
import TovholderHarness

/// A client may send many requests without waiting: answers come back in order, changes apply in the
/// order sent, and a read sees exactly the changes sent before it on its connection.
@Suite(.serialized) struct PipeliningTests {
    func parse(_ line: String?) -> [String: Any]? {
        line.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    @Test func pipelinedRequestsAreAnsweredInOrderAndReadsSeeEarlierChanges() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let takeover = today().adding(days: -10)
        let day = today().adding(days: -1)
        let client = try RawClient(path: workspace.socket)

        // Sent in one write, before any answer is read.
        let lines = [
            #"{"v":1,"id":1,"op":"citizen.add","params":{"id":"K-1","caseworker":"cw-anna","takeover":"\#(takeover)"}}"#,
            #"{"v":1,"id":2,"op":"event.record","params":{"citizen":"K-1","kind":"contract-signed","date":"\#(day)"}}"#,
            "not json",
            #"{"v":1,"id":4,"op":"citizen.show","params":{"id":"K-1"}}"#,
            #"{"v":1,"id":5,"op":"event.record","params":{"citizen":"K-404","kind":"conversation-held","date":"\#(day)"}}"#,
            #"{"v":1,"id":6,"op":"event.record","params":{"citizen":"K-1","kind":"conversation-held","date":"\#(day)"}}"#,
            #"{"v":1,"id":9,"op":"audit","params":{"citizen":"K-1"}}"#,
            #"{"v":1,"id":7,"op":"event.record","params":{"citizen":"K-1","kind":"conversation-held","date":"\#(day)"}}"#,
            #"{"v":1,"id":8,"op":"citizen.show","params":{"id":"K-1"}}"#,
        ]
        client.send(lines.joined(separator: "\n") + "\n")
        let answers = lines.map { _ in parse(client.readLine()) }
        #expect(answers.map { $0?["id"] as? Int } == [1, 2, nil, 4, 5, 6, 9, 7, 8])
        #expect(answers.map { $0?["ok"] as? Bool } == [true, true, false, true, false, true, true, true, true])
        #expect((answers[2]?["error"] as? [String: Any])?["code"] as? String == "bad-request")
        #expect((answers[4]?["error"] as? [String: Any])?["code"] as? String == "not-found")
        func events(_ answer: [String: Any]?) -> [String] {
            ((answer?["result"] as? [String: Any])?["events"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        }
        // The first read sees the two changes sent before it and not the two sent after it.
        #expect(events(answers[3]) == ["contract-signed"])
        #expect(events(answers[8]) == ["contract-signed", "conversation-held", "conversation-held"])
        // The audit (which runs alone, asynchronously) lists the events recorded before it, not the one after.
        let audited = ((answers[6]?["result"] as? [String: Any])?["entries"] as? [[String: Any]] ?? [])
            .filter { $0["action"] as? String == "event.record" }
        #expect(audited.count == 2)
    }

    @Test func manyPipelinedChangesAreAllAppliedOnceAndInOrder() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let takeover = today().adding(days: -30)
        #expect(ctl(["citizen", "add", "K-1", "--caseworker", "cw-anna", "--takeover", "\(takeover)"], socket: workspace.socket).status == 0)
        let client = try RawClient(path: workspace.socket)
        // More than one connection may have in flight at once, so the daemon must stop reading and resume.
        let count = 400
        let sender = Thread {
            for i in 0..<count {
                let date = takeover.adding(days: 1 + i % 29)
                client.send(#"{"v":1,"id":\#(i),"op":"event.record","params":{"citizen":"K-1","kind":"conversation-held","date":"\#(date)"}}"# + "\n")
            }
        }
        sender.start()
        var ids: [Int] = []
        for _ in 0..<count {
            guard let answer = parse(client.readLine()) else { break }
            #expect(answer["ok"] as? Bool == true)
            ids.append(answer["id"] as? Int ?? -1)
        }
        #expect(ids == Array(0..<count))
        let shown = try ctlJSON(["citizen", "show", "K-1"], socket: workspace.socket)
        let dates = (shown["events"] as? [[String: Any]] ?? []).compactMap { $0["date"] as? String }
        #expect(dates == (0..<count).map { takeover.adding(days: 1 + $0 % 29).description })
        let status = try ctlJSON(["status"], socket: workspace.socket)
        #expect(status["events"] as? Int == count)
        // Pipelined changes share commits (group commit), and the daemon counts both.
        let writes = status["writes"] as? [String: Int] ?? [:]
        #expect((writes["changes"] ?? 0) == count + 1 && (writes["commits"] ?? .max) < count, "\(writes)")
    }
}
