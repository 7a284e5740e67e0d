import Foundation

/// A running tovholderd (or a program that starts it, such as systemd-socket-activate), spawned with
/// posix_spawn and reaped with waitpid. (Foundation's Process notices a child's exit through an inherited
/// socket, which systemd-socket-activate closes before it execs the daemon; Foundation then blocks on
/// the wrong child.) Its output goes to a log file.
public final class DaemonProcess {
    public let pid: pid_t
    public let log: URL
    public let socket: String
    /// When it was started, for start-up timing.
    public let started = Date()
    private var exitStatus: Int32?

    public init(
        program: String, arguments: [String], socket: String, log: URL, environment: [String: String] = [:]
    ) throws {
        self.log = log
        self.socket = socket
        var env = ProcessInfo.processInfo.environment
        for key in ["NOTIFY_SOCKET", "JOURNAL_STREAM", "INVOCATION_ID", "LISTEN_FDS", "LISTEN_PID"] { env.removeValue(forKey: key) }
        env.merge(environment) { $1 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child gets stdin, stdout and stderr only. Other threads of the caller may have descriptors
        // open (a Foundation Process watches its child through a socket); a daemon that inherited one
        // would keep that child from ever being seen to exit.
        guard let closeFrom = Self.addCloseFrom else { throw HarnessError("this C library has no posix_spawn_file_actions_addclosefrom_np") }
        _ = closeFrom(&actions, 3)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, program, &actions, nil, argv, envp)
        guard result == 0 else { throw HarnessError("cannot start \(program): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module does not export.
    private static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    public var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        guard reaped == pid else { return reaped == 0 }
        exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f  // exit code, or the signal
        return false
    }

    /// Waits until a request on the control socket is answered.
    @discardableResult
    public func waitUntilServing(timeout: Double = 20) throws -> DaemonProcess {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !isRunning { throw HarnessError("tovholderd exited with \(exitStatus ?? -1): \(output)") }
            if let client = try? LineClient(path: socket), client.request(#"{"v":1,"op":"status"}"#)?["ok"] as? Bool == true {
                return self
            }
            usleep(20_000)
        }
        throw HarnessError("tovholderd did not answer within \(timeout)s: \(output)")
    }

    public func signal(_ signal: Int32) { kill(pid, signal) }

    /// Waits for the process to exit and returns its exit code (or the signal that ended it).
    @discardableResult
    public func wait(timeout: Double = 20) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while isRunning && Date() < deadline { usleep(10_000) }
        if isRunning {
            kill(pid, SIGKILL)
            while isRunning { usleep(10_000) }
        }
        return exitStatus ?? -1
    }

    public func stop() {
        signal(SIGTERM)
        wait()
    }

    public var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Resident and peak resident memory in bytes, from /proc.
    public var memory: (resident: Int, peak: Int) {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) * 1024
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }

    /// Processor time the daemon has used so far (user and system, all threads), in seconds, from
    /// /proc/PID/stat; the difference over a load divided by its operations is the daemon's cost per
    /// operation, steadier than any latency on a shared machine.
    public var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return 0 }
        // After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// A failure of the harness, with a sentence.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
