import Foundation
import TovholderCore

/// Appends one JSON object per notice to a file (JSON lines), with one write and one fsync per batch.
///
/// After a crash between writing a batch and recording it in the outbox, the same notices come again; the
/// channel reads the keys in the file's tail when it opens and skips those, so a line is never written
/// twice. (A batch is far smaller than the tail it reads.)
public actor SpoolChannel: NotificationChannel {
    public nonisolated let name = "spool"
    public nonisolated let path: String
    private var descriptor: Int32 = -1
    private var writtenBeforeStart: Set<String>
    /// This process created the file, and its directory is not yet synced.
    private var directoryPending = false

    /// How much of the file's end is read for keys at start.
    static let tailBytes = 4 << 20

    public init(path: String) {
        self.path = path
        self.writtenBeforeStart = Self.keysInTail(of: path)
    }

    public func deliver(_ notices: [Notice]) async -> [Result<Void, ChannelError>] {
        var payload = Data()
        for notice in notices where !writtenBeforeStart.contains(notice.key) {
            payload.append(contentsOf: notice.jsonBytes)
            payload.append(UInt8(ascii: "\n"))
        }
        if !payload.isEmpty, let error = append(payload) {
            return notices.map { _ in .failure(error) }
        }
        return notices.map { _ in .success(()) }
    }

    private func append(_ data: Data) -> ChannelError? {
        if descriptor < 0 {
            if access(path, F_OK) != 0 { directoryPending = true }
            descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
            if descriptor < 0 { return ChannelError("cannot open spool \(path): \(String(cString: strerror(errno)))") }
        }
        // A new file's name is in its directory, which the file's own fsync does not sync: without this, a
        // power loss could take the file away, and with it notices the outbox records as delivered. Nothing
        // is written until it succeeds; the next batch tries again.
        if directoryPending {
            if let error = Self.syncDirectory(of: path) { return error }
            directoryPending = false
        }
        let failure: ChannelError? = data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return ChannelError("cannot write spool \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
            return nil
        }
        if let failure {
            close(descriptor)
            descriptor = -1
            return failure
        }
        if fsync(descriptor) != 0 { return ChannelError("cannot sync spool \(path): \(String(cString: strerror(errno)))") }
        return nil
    }

    static func syncDirectory(of path: String) -> ChannelError? {
        let directory = (path as NSString).deletingLastPathComponent
        let handle = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard handle >= 0 else { return ChannelError("cannot open spool directory \(directory): \(String(cString: strerror(errno)))") }
        defer { close(handle) }
        if fsync(handle) != 0 { return ChannelError("cannot sync spool directory \(directory): \(String(cString: strerror(errno)))") }
        return nil
    }

    static func keysInTail(of path: String) -> Set<String> {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(tailBytes) ? size - UInt64(tailBytes) : 0
        try? handle.seek(toOffset: start)
        guard let data = try? handle.readToEnd() else { return [] }
        var keys: Set<String> = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            if let notice = try? JSONDecoder().decode(Notice.self, from: Data(line)) { keys.insert(notice.key) }
        }
        return keys
    }
}
