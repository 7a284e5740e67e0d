import Foundation
import Testing
import TovholderHarness
import TovholderCore

@Suite(.serialized) struct BadInputTests {
    @Test func malformedAndOversizedRequestsGetErrorsAndNothingElseIsTouched() throws {
        let workspace = try Workspace(extra: "max-request-bytes = 2048")
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let takeover = today().adding(days: -5)
        #expect(ctl(["citizen", "add", "K-1", "--caseworker", "cw-anna", "--takeover", "\(takeover)"], socket: workspace.socket).status == 0)

        let client = try RawClient(path: workspace.socket)
        let bystander = try RawClient(path: workspace.socket)
        func code(_ response: [String: Any]?) -> String? { (response?["error"] as? [String: Any])?["code"] as? String }
        func message(_ response: [String: Any]?) -> String { (response?["error"] as? [String: Any])?["message"] as? String ?? "" }

        #expect(code(client.request("this is not json")) == "bad-request")
        #expect(code(client.request(#"{"v":1}"#)) == "bad-request")
        #expect(code(client.request(#"{"v":7,"op":"status"}"#)) == "unsupported-version")
        #expect(code(client.request(#"{"v":1,"op":"launch"}"#)) == "unknown-operation")
        let missing = client.request(#"{"v":1,"op":"citizen.show","params":{}}"#)
        #expect(code(missing) == "invalid")
        #expect(message(missing) == "missing field 'params.id'")
        let badDate = client.request(#"{"v":1,"op":"event.record","params":{"citizen":"K-1","kind":"contract-signed","date":"2026-02-30"}}"#)
        #expect(message(badDate) == "field 'params.date': '2026-02-30' is not a real date in the form YYYY-MM-DD")
        let kind = client.request(#"{"v":1,"op":"event.record","params":{"citizen":"K-1","kind":"party","date":"2026-01-01"}}"#)
        #expect(code(kind) == "invalid")
        let early = client.request(#"{"v":1,"op":"event.record","params":{"citizen":"K-1","kind":"contract-signed","date":"\#(takeover.adding(days: -1))"}}"#)
        #expect(message(early) == "contract-signed dated \(takeover.adding(days: -1)) is before citizen K-1's takeover on \(takeover)")
        let unknown = client.request(#"{"v":1,"op":"citizen.show","params":{"id":"K-404"}}"#)
        #expect(code(unknown) == "not-found")
        let duplicate = client.request(#"{"v":1,"op":"citizen.add","params":{"id":"K-1","caseworker":"cw-anna","takeover":"2026-01-01"}}"#)
        #expect(message(duplicate) == "citizen K-1 exists already")
        let cpr = client.request(#"{"v":1,"op":"citizen.add","params":{"id":"0101901234","caseworker":"cw-anna","takeover":"2026-01-01"}}"#)
        #expect(message(cpr).contains("looks like a CPR number"))
        // The connection is still usable after all that.
        let status = client.request(#"{"v":1,"id":42,"op":"status"}"#)
        #expect(status?["ok"] as? Bool == true)
        #expect(status?["id"] as? Int == 42)

        // An oversized line is refused and that connection is closed; another connection is untouched.
        client.send(String(repeating: "x", count: 5000) + "\n")
        let refused = client.readLine().flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(code(refused) == "too-large")
        #expect(client.readLine() == nil)
        #expect(bystander.request(#"{"v":1,"op":"status"}"#)?["ok"] as? Bool == true)

        // Nothing the refused requests said was stored.
        let shown = try ctlJSON(["citizen", "show", "K-1"], socket: workspace.socket)
        #expect((shown["events"] as? [Any])?.isEmpty == true)
        #expect(shown["takeover"] as? String == takeover.description)
        #expect(try ctlJSON(["status"], socket: workspace.socket)["citizens"] as? Int == 1)
        #expect(daemon.isRunning)
    }

    @Test func theCLIsExitCodesFollowSystemdsTools() throws {
        let workspace = try Workspace()
        let daemon = try DaemonProcess(workspace).waitUntilServing()
        defer { daemon.stop() }
        let socket = workspace.socket
        #expect(ctl(["citizen", "show", "K-404"], socket: socket).status == 4)
        #expect(ctl(["citizen", "show", "K-404"], socket: socket).err == "tovholderctl: no citizen K-404\n")
        #expect(ctl(["event", "K-1", "contract-signed", "--date", "2026-02-30"], socket: socket).status == 2)
        #expect(ctl(["event", "K-1", "offer-started", "--date", "2026-02-01"], socket: socket).status == 2)
        #expect(ctl(["citizen", "add", "010190-1234", "--caseworker", "cw-anna", "--takeover", "2026-01-01"], socket: socket).status == 2)
        let stranger = ctl(["citizen", "add", "K-2", "--caseworker", "nobody", "--takeover", "2026-01-01"], socket: socket)
        #expect(stranger.status == 1)
        #expect(stranger.err.contains("unknown caseworker 'nobody'"))
        #expect(ctl(["--socket", socket, "status"], socket: "/nonexistent").status == 0)
    }

    @Test func aBrokenConfigurationIsNamedByFileLineAndKeyAndTheDaemonRefusesToStart() throws {
        let workspace = try Workspace(extra: "send-hour = 31\nsocket-path = \"x\"")
        let check = run("tovholderd", ["--check-config", workspace.config])
        #expect(check.status == 78)
        #expect(check.err.contains("\(workspace.config):3: daemon.send-hour: 31 is out of range 0...23"))
        #expect(check.err.contains("\(workspace.config):4: daemon.socket-path: unknown key"))

        let daemon = try DaemonProcess(workspace)
        #expect(daemon.wait() == 78)
        #expect(daemon.output.contains("daemon.send-hour: 31 is out of range"))
        #expect(!FileManager.default.fileExists(atPath: workspace.socket))
    }

    @Test func helpPrintsTheUsageAndAnUnknownOptionIsAUsageError() {
        let help = run("tovholderd", ["--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("USAGE: tovholderd"))
        #expect(help.out.contains("--check-config"))
        let unknown = run("tovholderd", ["--no-such-option"])
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("Unknown option '--no-such-option'"))
    }

    @Test func twoDaemonsCannotShareAStateDirectory() throws {
        let workspace = try Workspace()
        let first = try DaemonProcess(workspace).waitUntilServing()
        defer { first.stop() }
        let second = try DaemonProcess(workspace, arguments: [
            "--config", workspace.config, "--state-dir", workspace.directory.path, "--socket", workspace.socket + "2",
        ])
        #expect(second.wait() == 1)
        #expect(second.output.contains("another tovholderd (pid \(first.pid)) is using the state directory"))
        #expect(ctl(["status"], socket: workspace.socket).status == 0)
    }
}
