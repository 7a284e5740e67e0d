import Foundation
import NIOCore
import TovholderEngine

/// Who is on the other end of a Unix socket connection, from the kernel (SO_PEERCRED): cannot be forged
/// by the client.
enum PeerCredentials {
    static func of(_ channel: any Channel) -> EventLoopFuture<Caller> {
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(Caller(uid: nil, pid: nil, name: "unknown"))
        }
        let future: EventLoopFuture<PeerCred> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(17))  // SO_PEERCRED on Linux
        return future.map { cred in
            Caller(uid: Int(cred.uid), pid: Int(cred.pid), name: userName(cred.uid))
        }.recover { _ in Caller(uid: nil, pid: nil, name: "unknown") }
    }

    /// Linux's `struct ucred` (pid_t, uid_t, gid_t), which Swift's Glibc module does not export.
    struct PeerCred: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    static func userName(_ uid: uid_t) -> String {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, let result, let name = result.pointee.pw_name {
            return String(cString: name)
        }
        return "uid:\(uid)"
    }
}
