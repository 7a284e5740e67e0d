import Foundation
import Testing
import TovholderCore
import TovholderHarness

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

/// Every workspace lives under one directory per test process (short: a Unix socket path must fit in
/// 108 bytes), removed when the process exits.
let scratchRoot: URL = {
    let root = URL(fileURLWithPath: "/tmp/tvh-\(getpid())")
    try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: "/tmp/tvh-\(getpid())") }
    return root
}()

/// A fresh state directory with a small configuration using the shipped rulebook.
struct Workspace {
    let directory: URL
    var socket: String { directory.appendingPathComponent("control.sock").path }
    var config: String { directory.appendingPathComponent("tovholder.toml").path }
    var spool: String { directory.appendingPathComponent("notifications.jsonl").path }

    init(extra: String = "") throws {
        // Short paths: a Unix socket path must fit in 108 bytes.
        directory = scratchRoot.appendingPathComponent(String(UUID().uuidString.prefix(8)))
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

/// Runs one of the built binaries (`tovholderd`, `tovholderctl`) to its end and returns its exit status
/// and output; `environment` is added to the test's own.
func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) -> (status: Int32, out: String, err: String) {
    let process = Process()
    process.executableURL = binaries.appendingPathComponent(binary)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, added in added }
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

/// Runs tovholderctl and returns its exit status and output.
@discardableResult
func ctl(_ arguments: [String], socket: String) -> (status: Int32, out: String, err: String) {
    run("tovholderctl", arguments, environment: ["TOVHOLDER_SOCKET": socket])
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

typealias TestFailure = HarnessError
typealias RawClient = LineClient

extension DaemonProcess {
    /// tovholderd on a workspace (or `executable` with `arguments`), output to a log in the workspace.
    convenience init(
        _ workspace: Workspace, arguments: [String]? = nil, environment: [String: String] = [:], executable: String? = nil
    ) throws {
        try self.init(
            program: executable ?? binaries.appendingPathComponent("tovholderd").path,
            arguments: arguments ?? ["--config", workspace.config, "--state-dir", workspace.directory.path, "--socket", workspace.socket],
            socket: workspace.socket,
            log: workspace.directory.appendingPathComponent("daemon-\(UUID().uuidString.prefix(4)).log"), environment: environment)
    }
}
