import Foundation
import Testing
import TovholderCore
import TovholderHarness

/// An acknowledgement means the change is on disk: the real daemon, traced with strace, syncs the store's
/// write-ahead log between receiving each change and acknowledging it. (The store once asked SQLite for
/// this and GRDB quietly turned it off; no other test could tell, since SIGKILL leaves the page cache.)
@Suite(.serialized) struct SyncTests {
    static let strace = ["/usr/bin/strace", "/bin/strace"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: strace != nil, "needs strace, which scripts/ensure-deps.sh (make test) installs"))
    func eachAcknowledgedChangeWaitsForASyncOfTheLog() throws {
        let workspace = try Workspace()
        let trace = workspace.directory.appendingPathComponent("syncs.trace").path
        let daemon = try DaemonProcess(
            workspace,
            arguments: [
                // --seccomp-bpf: the daemon stops for the traced calls only, not for every system call.
                "--seccomp-bpf", "-f", "-qq", "-ttt", "-y", "-e", "trace=fdatasync,fsync", "-o", trace,
                binaries.appendingPathComponent("tovholderd").path,
                "--config", workspace.config, "--state-dir", workspace.directory.path, "--socket", workspace.socket,
            ],
            executable: Self.strace!
        ).waitUntilServing(timeout: 60)
        // The daemon is strace's child; its pid is in the state lock. Signalling strace would only detach it.
        let lock = try String(contentsOfFile: workspace.directory.appendingPathComponent("tovholderd.lock").path, encoding: .utf8)
        let pid = try #require(pid_t(lock.trimmingCharacters(in: .whitespacesAndNewlines)))
        var stopped = false
        defer {
            if !stopped {
                kill(pid, SIGKILL)
                daemon.wait()
            }
        }

        // One change at a time, each sent only once the one before is acknowledged.
        let client = try LineClient(path: workspace.socket)
        let takeover = today().adding(days: -10)
        var windows: [(sent: Double, acknowledged: Double)] = []
        for index in 0..<20 {
            let sent = Date().timeIntervalSince1970
            client.send(#"{"v":1,"op":"citizen.add","params":{"id":"S-\#(index)","caseworker":"cw-anna","takeover":"\#(takeover)"}}"# + "\n")
            let answer = client.readLine() ?? ""
            windows.append((sent, Date().timeIntervalSince1970))
            #expect(answer.contains(#""ok":true"#), "\(answer)")
        }

        // Only the writer thread's syncs count: the checkpointer's connection syncs the log too, before it
        // copies it, and while changes come in it checkpoints every 10 ms. Looked up once the changes are
        // acknowledged, since the writer thread (named `CommandWriter.threadName` as it starts) may start
        // after the socket serves.
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")
        let writer = try #require(tasks.first { task in
            (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines) == "tovholder-write"
        }, "no thread named tovholder-write among \(tasks.count)")

        // Stop the daemon, so that strace writes out its trace and exits with the daemon's status.
        kill(pid, SIGTERM)
        #expect(daemon.wait() == 0)
        stopped = true

        // When the writer began each sync of the log: `TID SECONDS.MICROS fdatasync(FD</path/…-wal>…`.
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let syncs = lines.compactMap { line -> Double? in
            guard line.hasPrefix("\(writer) "), line.contains("tovholder.sqlite-wal>"), line.contains("sync(") else {
                return nil
            }
            let fields = line.split(separator: " ")
            return fields.count > 1 ? Double(fields[1]) : nil
        }
        #expect(syncs.count >= windows.count, "\(syncs.count) syncs of the log by the writer for \(windows.count) changes")
        for (index, window) in windows.enumerated() {
            #expect(syncs.contains { $0 >= window.sent && $0 <= window.acknowledged },
                    "change \(index) was acknowledged without a sync of the log")
        }
    }
}
