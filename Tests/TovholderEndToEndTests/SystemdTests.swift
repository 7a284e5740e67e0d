import Foundation
import GRDB
import Synchronization
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

    /// WATCHDOG=1 comes only while the writer commits: with the store's write lock held by another
    /// process, the pings stop (and systemd would restart the service after WatchdogSec); they come back
    /// when the lock is released, and the journal says what held the daemon up.
    @Test func theWatchdogIsFedOnlyWhileTheStoreCommits() throws {
        let workspace = try Workspace()
        let notify = try NotifySocket(directory: workspace.directory)
        // A one-second watchdog: a ping every half second.
        let daemon = try DaemonProcess(workspace, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"])
        #expect(notify.receive()?.hasPrefix("READY=1") == true)
        let start = Date()
        let pings = Mutex<[Double]>([])
        let listener = Thread {
            while let message = notify.receive(), !message.contains("STOPPING=1") {
                if message.contains("WATCHDOG=1") { pings.withLock { $0.append(Date().timeIntervalSince(start)) } }
            }
        }
        listener.start()
        func count(_ range: ClosedRange<Double>) -> Int { pings.withLock { $0.filter(range.contains).count } }

        // (Waits below are generous: the whole suite runs at once on two cores.)
        func wait(until condition: () -> Bool) {
            for _ in 0..<200 where !condition() { usleep(50_000) }
        }
        wait { count(0...1000) >= 2 }
        #expect(count(0...1000) >= 2)
        // Another process takes the write lock for four seconds (the daemon waits up to ten for it).
        let other = try DatabaseQueue(path: workspace.directory.appendingPathComponent("tovholder.sqlite").path)
        let locked = Date().timeIntervalSince(start)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "BEGIN IMMEDIATE")
            usleep(4_000_000)
            try db.execute(sql: "COMMIT")
        }
        let released = Date().timeIntervalSince(start)
        wait { count(released...1000) >= 1 }
        // A check that passed just before the lock may still ping; none after that until the release.
        #expect(count((locked + 1.5)...released) == 0)
        #expect(count(released...1000) >= 1)
        daemon.signal(SIGTERM)
        #expect(daemon.wait() == 0)
        #expect(daemon.output.contains("the store took long to commit the watchdog's check"))
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
