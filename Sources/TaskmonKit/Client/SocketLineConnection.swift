import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A blocking, line-oriented client end of a Unix domain socket: connect, write whole lines, read
/// whole lines. No event loop, so the CLI and the blocking client stay free of NIO.
///
/// Thread-safe: one reader and one writer may work at the same time, and ``shutdown()`` may be
/// called from anywhere to wake both (they then fail with ``SchedulerClientError/connectionLost(_:)``).
public final class SocketLineConnection: Sendable {
    /// `sun_path` holds 108 bytes including the terminating NUL.
    public static let maxPathBytes = 107

    public let path: String
    /// A line longer than this is a protocol error rather than an unbounded buffer.
    public let maxLineBytes: Int

    // Lock order, where more than one is taken: reader, writer, descriptor.
    private let descriptor: Mutex<Int32>
    private let reader = Mutex(ReadBuffer())
    private let writer = Mutex(())

    fileprivate struct ReadBuffer {
        var bytes: [UInt8] = []
        /// Where the unread bytes begin in `bytes`.
        var start = 0
        /// Unread bytes already searched without finding a '\n'.
        var scanned = 0
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
    }

    /// Connects to the socket at `path`.
    ///
    /// - Throws: ``SchedulerClientError/notRunning(socketPath:reason:)`` when nothing accepts
    ///   connections there (no such file, connection refused, permission denied, …).
    ///   The peer must run as our own user (`SO_PEERCRED`): anyone else who managed to listen
    ///   there would otherwise receive our requests and could answer them with lies.
    /// - Parameter deadline: give up connecting (a listener whose backlog is full) by then.
    public init(path: String, maxLineBytes: Int = Wire.maxLineBytes, deadline: ContinuousClock.Instant? = nil) throws(SchedulerClientError) {
        self.path = path
        self.maxLineBytes = maxLineBytes
        let bytes = Array(path.utf8)
        guard bytes.count <= Self.maxPathBytes else {
            throw .notRunning(socketPath: path, reason: "the path is \(bytes.count) bytes long; Unix sockets allow \(Self.maxPathBytes)")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw .notRunning(socketPath: path, reason: "cannot create a socket: \(Self.describe(errno))")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        // Non-blocking while connecting: a listener that never accepts fills its backlog, and a
        // blocking connect would then wait for ever.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var rc: Int32
        while true {
            rc = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            if rc == 0 { break }
            let code = errno
            if code == EINTR { continue }
            if code == EAGAIN, deadline.map({ ContinuousClock.now < $0 }) ?? true {
                usleep(10_000)
                continue
            }
            Glibc.close(fd)
            if code == EAGAIN { throw .timedOut }
            throw .notRunning(socketPath: path, reason: Self.describe(code))
        }
        _ = fcntl(fd, F_SETFL, flags)
        if let refusal = Self.checkPeer(fd, path: path) {
            Glibc.close(fd)
            throw refusal
        }
        descriptor = Mutex(fd)
    }

    /// `struct ucred` as the kernel fills it (pid, uid, gid); Swift's Glibc does not define
    /// `_GNU_SOURCE`, so the C type is not visible.
    private struct PeerCredentials {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Nil when the process listening runs as our effective user; else the error to throw.
    private static func checkPeer(_ fd: Int32, path: String) -> SchedulerClientError? {
        var credentials = PeerCredentials()
        var length = socklen_t(MemoryLayout<PeerCredentials>.size)
        let rc = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length)
        guard rc == 0, length == socklen_t(MemoryLayout<PeerCredentials>.size) else {
            return .notRunning(socketPath: path, reason: "cannot learn who listens there: \(describe(errno))")
        }
        guard credentials.uid == UInt32(geteuid()) else {
            return .notRunning(socketPath: path, reason: "permission denied: the process listening there (pid \(credentials.pid)) runs as uid \(credentials.uid), not as you (uid \(geteuid())); nothing was sent to it")
        }
        return nil
    }

    deinit {
        descriptor.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
        }
    }

    /// Writes `line` and a '\n', all of it, blocking as long as the peer's buffer is full (or
    /// until `deadline`, then ``SchedulerClientError/timedOut``).
    public func writeLine(_ line: Data, deadline: ContinuousClock.Instant? = nil) throws(SchedulerClientError) {
        var framed = line
        framed.append(UInt8(ascii: "\n"))
        try writer.withLock { _ throws(SchedulerClientError) in
            let fd = try currentDescriptor()
            let failure = framed.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Int32? in
                guard var pointer = raw.baseAddress else { return nil }
                var remaining = raw.count
                while remaining > 0 {
                    // MSG_NOSIGNAL: a scheduler that went away must be an error here, not a
                    // SIGPIPE that kills the client. MSG_DONTWAIT with a deadline: a peer that
                    // never reads must not hold us for ever.
                    let flags = Int32(MSG_NOSIGNAL) | (deadline == nil ? 0 : Int32(MSG_DONTWAIT))
                    let sent = Glibc.send(fd, pointer, remaining, flags)
                    if sent < 0 {
                        let code = errno
                        if code == EINTR { continue }
                        if code == EAGAIN, let deadline {
                            if !Self.waitWritable(fd, until: deadline) { return ETIMEDOUT }
                            continue
                        }
                        return code
                    }
                    pointer += sent
                    remaining -= sent
                }
                return nil
            }
            if failure == ETIMEDOUT { throw .timedOut }
            if let failure { throw .connectionLost(Self.lostReason(failure)) }
        }
    }

    /// Reads the next line (without its '\n').
    ///
    /// - Parameter deadline: give up with ``SchedulerClientError/timedOut`` when no complete line
    ///   arrived by then; nil waits for ever.
    public func readLine(deadline: ContinuousClock.Instant? = nil) throws(SchedulerClientError) -> Data {
        try reader.withLock { (buffer: inout ReadBuffer) throws(SchedulerClientError) -> Data in
            while true {
                if let line = buffer.nextLine() { return line }
                let unread = buffer.bytes.count - buffer.start
                if unread > maxLineBytes {
                    throw .protocolError("the scheduler sent a line longer than \(maxLineBytes) bytes")
                }
                let fd = try currentDescriptor()
                if let deadline { try Self.waitReadable(fd, until: deadline) }
                let count = buffer.chunk.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    throw .connectionLost(Self.lostReason(code))
                }
                if count == 0 {
                    throw .connectionLost("the scheduler closed the connection")
                }
                buffer.compactIfWorthIt()
                buffer.bytes.append(contentsOf: buffer.chunk[0..<count])
            }
        }
    }

    /// Wakes any blocked read or write (they fail with `connectionLost`) without releasing the
    /// descriptor, so that it cannot be reused under a reader's feet. Any thread, any time.
    public func shutdown() {
        descriptor.withLock { fd in
            if fd >= 0 { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Shuts the socket down, waits for a blocked reader or writer to let go, and closes it.
    /// Idempotent.
    public func close() {
        shutdown()
        reader.withLock { _ in
            writer.withLock { _ in
                descriptor.withLock { fd in
                    if fd >= 0 { Glibc.close(fd) }
                    fd = -1
                }
            }
        }
    }

    private func currentDescriptor() throws(SchedulerClientError) -> Int32 {
        let fd = descriptor.withLock { $0 }
        guard fd >= 0 else { throw .connectionLost("the connection was closed") }
        return fd
    }

    private static func waitReadable(_ fd: Int32, until deadline: ContinuousClock.Instant) throws(SchedulerClientError) {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .timedOut }
            let (seconds, attoseconds) = left.components
            let milliseconds = min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&entry, 1, Int32(milliseconds))
            if rc > 0 { return }
            if rc < 0 && errno != EINTR { throw .connectionLost(lostReason(errno)) }
        }
    }

    /// Waits until the socket can take bytes; false once `deadline` passed.
    private static func waitWritable(_ fd: Int32, until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            let (seconds, attoseconds) = left.components
            let milliseconds = min(Int64(Int32.max), seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let rc = poll(&entry, 1, Int32(milliseconds))
            if rc > 0 { return true }
            if rc < 0 && errno != EINTR { return true }
        }
    }

    static func describe(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no such file"
        case ENOTDIR: "no such folder"
        case ECONNREFUSED: "connection refused"
        case EACCES, EPERM: "permission denied"
        case ENOTSOCK: "not a socket"
        default: String(cString: strerror(code))
        }
    }

    private static func lostReason(_ code: Int32) -> String {
        switch code {
        case EPIPE, ECONNRESET, ENOTCONN: "the scheduler closed the connection"
        default: String(cString: strerror(code))
        }
    }
}

extension SocketLineConnection.ReadBuffer {
    mutating func nextLine() -> Data? {
        let end = bytes.count
        guard start + scanned < end else { return nil }
        let found: Int? = bytes.withUnsafeBufferPointer { all in
            let from = start + scanned
            guard let hit = memchr(all.baseAddress! + from, Int32(UInt8(ascii: "\n")), end - from) else { return nil }
            return UnsafeRawPointer(all.baseAddress!).distance(to: UnsafeRawPointer(hit))
        }
        guard let newline = found else {
            scanned = end - start
            return nil
        }
        let line = Data(bytes[start..<newline])
        start = newline + 1
        scanned = 0
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: true)
            start = 0
        }
        return line
    }

    /// Drops consumed bytes once they are the larger part, so a long-lived connection's buffer
    /// stays about as big as its largest line, and compaction stays linear overall.
    mutating func compactIfWorthIt() {
        guard start > 0, start >= bytes.count - start else { return }
        bytes.removeSubrange(0..<start)
        start = 0
    }
}
