import Foundation
import TovholderCore
import TovholderHarness

/// One daemon under test: its directory, configuration, and the commands to drive it.
final class Stage {
    let work: URL
    let bins: URL
    let simulated: Bool
    var daemon: DaemonProcess?
    var socket: String { work.appendingPathComponent("control.sock").path }
    var config: String { work.appendingPathComponent("tovholder.toml").path }

    /// One rule with a single stage on the due date: every deadline is one timer, for timing firings.
    static let probeRulebook = """
        name = "bench probes"
        [[rule]]
        id = "probe"
        trigger = "takeover"
        due = "1 month"
        satisfied-by = ["contract-signed"]
        stages = [{ name = "due", at = "0 days", to = "caseworker" }]
        """

    init(work: URL, bins: URL, simulated: Bool, rulebook: String?) throws {
        self.work = work
        self.bins = bins
        self.simulated = simulated
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        var rulebookPath = FileManager.default.currentDirectoryPath + "/config/rulebook.toml"
        if let rulebook {
            rulebookPath = work.appendingPathComponent("rulebook.toml").path
            try rulebook.write(toFile: rulebookPath, atomically: true, encoding: .utf8)
        }
        let teams = (0..<10).map { "[teams.t\($0)]\nlead = \"lead-\($0)\"\n" }.joined()
        let caseworkers = DataSet.caseworkers.enumerated().map { "\($0.element) = { team = \"t\($0.offset / 10)\" }" }
            .joined(separator: "\n")
        try """
            [daemon]
            rulebook = "\(rulebookPath)"
            log-level = "warning"
            [organisation]
            manager = "manager"
            \(teams)
            [caseworkers]
            \(caseworkers)
            [channels.journal]
            enabled = false
            [channels.spool]
            enabled = true
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// Starts the daemon and returns the seconds from process start to READY=1.
    @discardableResult
    func start() throws -> Double {
        let notify = try NotifySocket(directory: work)
        defer { unlink(notify.path) }
        var arguments = ["--config", config, "--state-dir", work.path, "--socket", socket]
        if simulated { arguments.append("--simulated-clock") }
        let process = try DaemonProcess(
            program: bins.appendingPathComponent("tovholderd").path, arguments: arguments, socket: socket,
            log: work.appendingPathComponent("daemon.log"), environment: ["NOTIFY_SOCKET": notify.path])
        daemon = process
        while let message = notify.receive() {
            if message.contains("READY=1") { return Date().timeIntervalSince(process.started) }
        }
        throw HarnessError("tovholderd sent no READY=1: \(process.output)")
    }

    /// The daemon's processor time so far, in seconds.
    var cpu: Double { daemon?.cpuSeconds ?? 0 }

    /// Bytes of the database file (the log holds copies of recent pages, not more data).
    var storeBytes: Int {
        let path = work.appendingPathComponent("tovholder.sqlite").path
        return (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    func stop() {
        daemon?.stop()
        daemon = nil
    }

    /// Runs tovholderctl; returns its exit status and its output (standard error after standard output).
    @discardableResult
    func ctl(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = bins.appendingPathComponent("tovholderctl")
        process.arguments = arguments + ["--socket", socket]
        let errors = work.appendingPathComponent("ctl-stderr.txt")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        return (process.terminationStatus, String(decoding: data, as: UTF8.self) + stderr)
    }

    /// A request on a fresh connection, decoded.
    func request(_ json: String) throws -> [String: Any] {
        guard let response = try LineClient(path: socket).request(json) else { throw HarnessError("no answer to \(json)") }
        return response
    }

    func status() throws -> [String: Any] {
        guard let result = try request(#"{"v":1,"op":"status"}"#)["result"] as? [String: Any] else {
            throw HarnessError("status failed")
        }
        return result
    }

    /// Notices waiting for delivery.
    func pending() throws -> Int { (try status()["outbox"] as? [String: Int])?["pending"] ?? 0 }

    /// Notices queued since the store began, in every state.
    func queuedNotices() throws -> Int { (try status()["outbox"] as? [String: Int] ?? [:]).values.reduce(0, +) }

    /// Waits until every queued notice is delivered; returns how many were waiting and how long it took.
    func drainOutbox(limit: TimeInterval = 3600) throws -> (backlog: Int, seconds: Double) {
        let start = Date()
        let backlog = try pending()
        var left = backlog
        while left > 0, Date().timeIntervalSince(start) < limit {
            usleep(100_000)
            left = try pending()
        }
        let seconds = Date().timeIntervalSince(start)
        guard left == 0 else { throw HarnessError("\(left) notices still undelivered after \(Int(seconds)) s") }
        return (backlog, seconds)
    }
}
