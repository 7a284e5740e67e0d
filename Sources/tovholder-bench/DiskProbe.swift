import Foundation
import TovholderHarness

/// The disk's own sync latency, the yardstick for the acknowledgement figures: an acknowledged event waits
/// for at least one `fdatasync` of the store's write-ahead log, so its p99 cannot beat the disk's.
enum DiskProbe {
    /// The size of one probe write: about the log frames of a small commit (six 4 KiB pages).
    static let writeBytes = 24 << 10
    /// The file's size; the writes cycle through it.
    static let spanBytes = 16 << 20

    /// `count` overwrites of `writeBytes`, each followed by `fdatasync`, 1 ms apart, in a file in
    /// `directory` (the store's disk) whose blocks are allocated and synced first: the syncs measure
    /// overwrites, as of a log that has started over, not the file growing. The file is removed after.
    static func syncLatencies(in directory: URL, count: Int) throws -> Latencies {
        let path = directory.appendingPathComponent("fdatasync-probe.bin").path
        let descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw HarnessError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer {
            close(descriptor)
            unlink(path)
        }
        let block = [UInt8](repeating: 0xA5, count: writeBytes)
        func write(at offset: Int) throws {
            let written = block.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
            guard written == block.count else { throw HarnessError("cannot write \(path): \(String(cString: strerror(errno)))") }
        }
        for offset in stride(from: 0, to: spanBytes, by: writeBytes) { try write(at: offset) }
        guard fsync(descriptor) == 0 else { throw HarnessError("cannot sync \(path): \(String(cString: strerror(errno)))") }
        var latencies = Latencies()
        for index in 0..<count {
            let start = DispatchTime.now().uptimeNanoseconds
            try write(at: index * writeBytes % (spanBytes - writeBytes))
            guard fdatasync(descriptor) == 0 else { throw HarnessError("cannot sync \(path): \(String(cString: strerror(errno)))") }
            latencies.add(Double(DispatchTime.now().uptimeNanoseconds - start) / 1000)
            usleep(1000)
        }
        return latencies
    }
}
