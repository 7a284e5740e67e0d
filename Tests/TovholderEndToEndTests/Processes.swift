import Foundation
import Testing
import TovholderCore

/// Where `swift build` put the binaries: beside the test bundle, or $TOVHOLDER_BIN_DIR.
let binaries: URL = {
    if let dir = ProcessInfo.processInfo.environment["TOVHOLDER_BIN_DIR"] { return URL(fileURLWithPath: dir) }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" {
        url = url.deletingLastPathComponent()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent("tovholderd").path) { return url }
    }
    return URL(fileURLWithPath: ".build/debug")
}()

let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Today in Copenhagen, as the daemon sees it.
func today() -> LocalDate { LocalTime.copenhagen.date(atMillis: Int64(Date().timeIntervalSince1970 * 1000)) }

/// A fresh state directory with a small configuration using the shipped rulebook.
struct Workspace {
    let directory: URL
    var socket: String { directory.appendingPathComponent("control.sock").path }
    var config: String { directory.appendingPathComponent("tovholder.toml").path }
    var spool: String { directory.appendingPathComponent("notifications.jsonl").path }

    init(extra: String = "") throws {
        // Short paths: a Unix socket path must fit in 108 bytes.
        directory = URL(fileURLWithPath: "/tmp/tvh-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try """
            [daemon]
            rulebook = "\(repository.path)/config/rulebook.toml"
            \(extra)
            [organisation]
            manager = "mgr-eva"
            [teams.nord]
            lead = "tl-bo"
            [caseworkers]
            cw-anna = { team = "nord" }
            [channels.journal]
            enabled = true
            [channels.spool]
            enabled = true
            """.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// The spool's notices as JSON objects.
    var spoolLines: [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: spool) else { return [] }
        return data.split(separator: UInt8(ascii: "\n")).compactMap {
            try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]
        }
    }
}

/// A running tovholderd, spawned with posix_spawn and reaped with waitpid. (Foundation's Process notices
/// a child's exit through an inherited socket, which systemd-socket-activate closes before it execs the
/// daemon; Foundation then blocks on the wrong child.)
final class DaemonProcess {
    let pid: pid_t
    let workspace: Workspace
    let log: URL
    private var exitStatus: Int32?

    init(_ workspace: Workspace, arguments: [String]? = nil, environment: [String: String] = [:], executable: String? = nil) throws {
        self.workspace = workspace
        log = workspace.directory.appendingPathComponent("daemon-\(UUID().uuidString.prefix(4)).log")
        let program = executable ?? binaries.appendingPathComponent("tovholderd").path
        let args = [program] + (arguments ?? [
            "--config", workspace.config, "--state-dir", workspace.directory.path, "--socket", workspace.socket,
        ])
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "INVOCATION_ID", "LISTEN_FDS", "LISTEN_PID"] { env.removeValue(forKey: key) }
        env.merge(environment) { $1 }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = args.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, program, &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(program): \(String(cString: strerror(result)))") }
        pid = child
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f  // exit code, or the signal
        return false
    }

    /// Waits until the control socket answers `status`.
    @discardableResult
    func waitUntilServing(timeout: Double = 20) throws -> DaemonProcess {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { throw TestFailure("tovholderd exited with \(exitStatus ?? -1): \(output)") }
            if ctl(["status"], socket: workspace.socket).status == 0 { return self }
            usleep(20_000)
        }
        throw TestFailure("tovholderd did not answer within \(timeout)s: \(output)")
    }

    func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit and returns its exit code (or the signal that ended it).
    @discardableResult
    func wait(timeout: Double = 20) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(10_000) }
        }
        return exitStatus ?? -1
    }

    func stop() {
        signal(SIGTERM)
        wait()
    }

    var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs tovholderctl and returns its exit status and output.
@discardableResult
func ctl(_ arguments: [String], socket: String) -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = binaries.appendingPathComponent("tovholderctl")
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    env["TOVHOLDER_SOCKET"] = socket
    process.environment = env
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    do { try process.run() } catch { return (127, "", "\(error)") }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
}

/// `tovholderctl --json …` decoded.
func ctlJSON(_ arguments: [String], socket: String) throws -> [String: Any] {
    let result = ctl(arguments + ["--json"], socket: socket)
    guard result.status == 0 else { throw TestFailure("tovholderctl \(arguments) failed \(result.status): \(result.err)") }
    guard let object = try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any] else {
        throw TestFailure("not a JSON object: \(result.out)")
    }
    return object
}
