import Foundation
import Testing
import TovholderHarness

/// The real sd_notify datagram protocol and systemd-socket-activate.
@Suite(.serialized) struct SystemdTests {
    @Test func readyComesOnlyWhenTheSocketServesAndStoppingOnSIGTERM() throws {
        let workspace = try Workspace()
        let notify = try NotifySocket(directory: workspace.directory)
        let daemon = try DaemonProcess(workspace, environment: ["NOTIFY_SOCKET": notify.path])
        let ready = notify.receive()
        #expect(ready?.hasPrefix("READY=1\nSTATUS=0 citizens") == true)
        // At the moment READY=1 arrives, the control socket already answers.
        #expect(ctl(["status"], socket: workspace.socket).status == 0)
        // An operator finds the single writer by name (`top -H`, `ps -L`), not among the thread pool's.
        // (The thread names itself as it starts, which may be just after READY=1.)
        func writers() -> Int {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(daemon.pid)/task")) ?? []
            return threads.filter {
                (try? String(contentsOfFile: "/proc/\(daemon.pid)/task/\($0)/comm", encoding: .utf8)) == "tovholder-write\n"
            }.count
        }
        for _ in 0..<100 where writers() == 0 { usleep(20_000) }
        #expect(writers() == 1)
        daemon.signal(SIGTERM)
        var messages: [String] = []
        while let message = notify.receive() {
            messages.append(message)
            if message.contains("STOPPING=1") { break }
        }
        #expect(messages.last?.hasPrefix("STOPPING=1") == true)
        #expect(daemon.wait() == 0)
    }

    @Test func aSocketHandedInBySystemdIsServed() throws {
        guard FileManager.default.fileExists(atPath: "/usr/bin/systemd-socket-activate") else {
            Issue.record("systemd-socket-activate is not installed (Debian package systemd)")
            return
        }
        let workspace = try Workspace()
        let activated = workspace.directory.appendingPathComponent("activated.sock").path
        let daemon = try DaemonProcess(
            workspace,
            arguments: ["-l", activated, binaries.appendingPathComponent("tovholderd").path, "--config", workspace.config,
                        "--state-dir", workspace.directory.path, "--socket", workspace.socket],
            executable: "/usr/bin/systemd-socket-activate")
        defer { daemon.stop() }
        #expect(waitFor { FileManager.default.fileExists(atPath: activated) })
        // The first connection starts tovholderd with the listening socket as fd 3.
        #expect(waitFor(20) { ctl(["status"], socket: activated).status == 0 })
        #expect(!FileManager.default.fileExists(atPath: workspace.socket))
        #expect(daemon.output.contains("fd 3 from systemd"))
    }
}
