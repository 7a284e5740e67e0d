import Foundation

/// An exclusive lock on the state directory, so that two daemons never share one store and spool.
final class StateLock {
    let descriptor: Int32

    init(directory: String) throws(StartupError) {
        let path = directory + "/tovholderd.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else {
            throw StartupError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            // deinit closes the descriptor: it runs also when this initializer throws.
            throw StartupError("another tovholderd (pid \(holder ?? "?")) is using the state directory \(directory)")
        }
        ftruncate(descriptor, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(descriptor, $0, strlen($0)) }
    }

    deinit { close(descriptor) }
}

/// Why the daemon could not start; printed as one sentence.
struct StartupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
