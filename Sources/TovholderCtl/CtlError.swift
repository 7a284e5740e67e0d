import ArgumentParser
import TovholderProtocol

/// A failure shown to the user as one sentence, with a systemd-style exit code:
/// 1 failure, 2 bad usage, 4 no such citizen or object.
public struct CtlError: Error, CustomStringConvertible {
    public let description: String
    public let exitCode: Int32

    public init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }

    init(wire: WireError) {
        switch wire.code {
        case .notFound: self.init(wire.message, exitCode: 4)
        case .badRequest, .unknownOperation, .unsupportedVersion, .tooLarge: self.init(wire.message, exitCode: 2)
        default: self.init(wire.message, exitCode: 1)
        }
    }
}
