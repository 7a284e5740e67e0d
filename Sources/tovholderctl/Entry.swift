import TovholderCtl

/// The CLI's entry point; the commands live in TovholderCtl.
@main
enum Entry {
    static func main() { Tovholderctl.launch() }
}
