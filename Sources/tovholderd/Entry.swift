import TovholderDaemon

/// The daemon's entry point; everything else lives in TovholderDaemon.
@main
enum Entry {
    static func main() async { await DaemonCommand.launch() }
}
