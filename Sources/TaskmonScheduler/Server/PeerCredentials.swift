#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Who is on the other end of a connection, from the kernel (`SO_PEERCRED`), not from anything
/// the peer said: the process that called `connect`, with its credentials at that moment.
package struct PeerIdentity: Sendable, Equatable {
    package var pid: Int32
    package var uid: UInt32
    package var gid: UInt32
    /// The account name of `uid` (`getpwuid_r`), or the uid as text when it has none.
    package var userName: String

    package init(pid: Int32, uid: UInt32, gid: UInt32, userName: String) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
        self.userName = userName
    }

    /// The account name of `uid`, or the uid as text.
    ///
    /// May block (NSS can ask a directory server), so the server calls it once, at start, for its
    /// own uid — the only uid it lets in — and never on an event loop.
    package static func userName(of uid: UInt32) -> String {
        var bufferSize = sysconf(Int32(_SC_GETPW_R_SIZE_MAX))
        if bufferSize <= 0 { bufferSize = 16 << 10 }
        while bufferSize <= 1 << 20 {
            var entry = passwd()
            var found: UnsafeMutablePointer<passwd>? = nil
            var buffer = [CChar](repeating: 0, count: bufferSize)
            let rc = getpwuid_r(uid_t(uid), &entry, &buffer, buffer.count, &found)
            if rc == ERANGE {
                bufferSize *= 2
                continue
            }
            if rc == 0, found != nil, let name = entry.pw_name {
                return String(cString: name)
            }
            break
        }
        return String(uid)
    }
}

/// The raw `SO_PEERCRED` answer of an accepted socket.
///
/// Laid out exactly like glibc's `struct ucred` (pid_t, uid_t, gid_t: three 32-bit fields, in
/// this order), because the kernel fills it in place: Swift's Glibc module does not define
/// `_GNU_SOURCE`, so `ucred` itself is not visible to Swift.
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32

    /// Reads the credentials of `channel`'s peer. Runs on the channel's event loop (a child
    /// channel initializer does), so the answer is there before any byte of the peer is read.
    static func of(_ channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard MemoryLayout<PeerCredentials>.size == 12, MemoryLayout<PeerCredentials>.alignment == 4 else {
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError.unexpectedLayout)
        }
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(PeerCredentialsError.unsupportedChannel)
        }
        // Kept in this internal, non-inlinable function on purpose: NIO's notes on
        // `unsafeGetSocketOption` warn that calling it from public inlinable code can miscompile.
        return provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
    }
}

enum PeerCredentialsError: Error, CustomStringConvertible {
    case unsupportedChannel
    case unexpectedLayout

    var description: String {
        switch self {
        case .unsupportedChannel: "the accepted channel cannot report its peer's credentials"
        case .unexpectedLayout: "PeerCredentials does not match the layout of struct ucred"
        }
    }
}
