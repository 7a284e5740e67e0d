import ArgumentParser
import Foundation

/// Options every command takes.
public struct GlobalOptions: ParsableArguments {
    @Option(help: "The daemon's control socket (default: $TOVHOLDER_SOCKET, else /run/tovholder/control.sock).")
    var socket: String?

    @Flag(help: "Print the result as JSON (stable field names; see the README).")
    var json = false

    @Option(help: "Seconds to wait for the daemon's answer.")
    var timeout: Int = 30

    public init() {}

    var socketPath: String {
        socket ?? ProcessInfo.processInfo.environment["TOVHOLDER_SOCKET"] ?? "/run/tovholder/control.sock"
    }

    func client() throws(CtlError) -> Client { try Client(path: socketPath, timeoutSeconds: max(timeout, 1)) }
}
