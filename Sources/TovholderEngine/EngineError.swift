/// Engine failures that are not the caller's fault.
public enum EngineError: Error, Sendable, CustomStringConvertible {
    case shuttingDown
    case storage(String)
    case notSimulated

    public var description: String {
        switch self {
        case .notSimulated: "the clock can only be set when tovholderd runs with --simulated-clock"
        case .shuttingDown: "tovholderd is shutting down; try again when it is back"
        case .storage(let message): message
        }
    }
}
