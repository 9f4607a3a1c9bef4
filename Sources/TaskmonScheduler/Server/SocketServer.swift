#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import TaskmonKit

/// What the scheduler plugs into the socket server.
package protocol ConnectionHandler: Sendable {
    /// One complete request line (without '\n'). Return the response line (without '\n') or nil
    /// for none (a notification).
    ///
    /// Calls for one connection never overlap: the next line is handled after this one's answer
    /// was queued. The handler may keep `connection` to push notification lines later
    /// (subscriptions). When notifications must follow the response on the wire (a subscription
    /// replaying old events), queue the response yourself with `sendUnconditionally`, then the
    /// notifications, and return nil.
    func handle(line: Data, connection: ServerConnection) async -> Data?

    /// The connection closed (either side). Drop any subscription for it. Called once, after the
    /// last `handle` call for this connection returned.
    func connectionClosed(_ connection: ServerConnection) async
}

/// Why a socket server could not start.
package enum SocketServerError: Error, CustomStringConvertible {
    case pathTooLong(String)
    case folder(path: String, reason: String)
    case alreadyRunning(String)
    case notASocket(String)
    case alreadyStarted
    case bind(path: String, reason: String)

    package var description: String {
        switch self {
        case .pathTooLong(let path):
            "the socket path \(path) is \(path.utf8.count) bytes long; Unix sockets allow \(SocketServer.maxPathBytes). Choose a shorter --state-dir"
        case .folder(let path, let reason):
            "cannot prepare the socket folder \(path): \(reason)"
        case .alreadyRunning(let path):
            "a scheduler is already running at \(path)"
        case .notASocket(let path):
            "\(path) exists and is not a socket; not removing it"
        case .alreadyStarted:
            "the socket server was already started"
        case .bind(let path, let reason):
            "cannot listen on \(path): \(reason)"
        }
    }
}

/// The scheduler's only door: JSON-RPC lines over a Unix domain socket, served by SwiftNIO.
///
/// Lifecycle: `init` checks the path and prepares the folder (synchronous, so configuration
/// errors show before anything runs); `start()` binds and listens; `stop()` closes everything.
/// A server is started at most once.
///
/// Only our own user gets in: the folder is 0700, the socket 0600, and — in case someone loosens
/// those — every accepted peer's uid is read from the kernel (`SO_PEERCRED`) and compared with our
/// effective uid before a single byte of its request is read.
package final class SocketServer: Sendable {
    /// `sun_path` holds 108 bytes including the terminating NUL.
    package static let maxPathBytes = 107

    package let socketPath: String
    package let outboundLimit: Int
    package let maxLineBytes: Int
    /// Lines before the handler marked a connection greeted; nil: `maxLineBytes` throughout.
    package let maxLineBytesBeforeHello: Int?
    /// Unfinished request lines of all connections together.
    private let inboundBudget: MemoryBudget
    /// Queued-but-unwritten bytes of all connections together.
    private let outboundBudget: MemoryBudget
    private let handler: ConnectionHandler
    private let eventLoopThreads: Int
    private let ownUID: UInt32
    private let ownUserName: String
    private let state = Mutex(ServerState())

    private struct ServerState {
        var group: MultiThreadedEventLoopGroup?
        var listener: Channel?
        var connections: [Int: ServerConnection] = [:]
        var nextConnectionID = 1
        var started = false
        var stopped = false
        /// The inode we bound, so that `stop()` never removes a socket another server made since.
        var boundInode: ino_t?
    }

    /// Checks the path, creates the socket's folder if needed with mode 0700 (and chmods an
    /// existing one to 0700).
    ///
    /// - Parameters:
    ///   - outboundLimit: queued-but-unwritten bytes per connection past which
    ///     ``ServerConnection/send(_:)`` refuses lines.
    ///   - maxLineBytes: longer request lines get an error line and the connection is closed.
    package init(
        socketPath: String,
        handler: ConnectionHandler,
        outboundLimit: Int = 8 << 20,
        eventLoopThreads: Int = 1,
        maxLineBytes: Int = Wire.maxLineBytes,
        maxLineBytesBeforeHello: Int? = nil,
        totalInboundLimit: Int = 256 << 20,
        totalOutboundLimit: Int = 64 << 20
    ) throws {
        guard socketPath.utf8.count <= Self.maxPathBytes else { throw SocketServerError.pathTooLong(socketPath) }
        self.maxLineBytesBeforeHello = maxLineBytesBeforeHello
        inboundBudget = MemoryBudget(limit: max(totalInboundLimit, maxLineBytes))
        outboundBudget = MemoryBudget(limit: totalOutboundLimit)
        self.socketPath = socketPath
        self.handler = handler
        self.outboundLimit = outboundLimit
        self.eventLoopThreads = max(1, eventLoopThreads)
        self.maxLineBytes = maxLineBytes
        self.ownUID = UInt32(geteuid())
        self.ownUserName = PeerIdentity.userName(of: UInt32(geteuid()))
        try Self.prepareFolder(of: socketPath)
    }

    /// Removes a stale socket file (one nobody listens on), binds, chmods the socket to 0600 and
    /// listens. Throws ``SocketServerError/alreadyRunning(_:)`` when another server answers there.
    package func start() async throws {
        let group = try state.withLock { state -> MultiThreadedEventLoopGroup in
            guard !state.started else { throw SocketServerError.alreadyStarted }
            state.started = true
            let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoopThreads)
            state.group = group
            return group
        }
        do {
            try Self.removeStaleSocket(at: socketPath)
            let bootstrap = ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.backlog, value: 256)
                // Reads are asked for explicitly (see ServerConnection) so that a client cannot
                // queue unbounded requests in our memory.
                .childChannelOption(ChannelOptions.autoRead, value: false)
                // A peer that half-closes after its requests still gets its answers.
                .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
                .childChannelInitializer { [weak self] channel in
                    guard let self else { return channel.close() }
                    return self.initializeChild(channel)
                }
            let listener: Channel
            do {
                listener = try await bootstrap.bind(unixDomainSocketPath: socketPath).get()
            } catch {
                throw SocketServerError.bind(path: socketPath, reason: "\(error)")
            }
            // The folder is 0700 already, so the moment between bind and chmod exposes nothing.
            guard chmod(socketPath, 0o600) == 0 else {
                let reason = String(cString: strerror(errno))
                try? await listener.close()
                throw SocketServerError.bind(path: socketPath, reason: "chmod 0600: \(reason)")
            }
            var info = stat()
            let inode: ino_t? = lstat(socketPath, &info) == 0 ? info.st_ino : nil
            let stoppedMeanwhile = state.withLock { state -> Bool in
                if state.stopped { return true }
                state.listener = listener
                state.boundInode = inode
                return false
            }
            if stoppedMeanwhile {
                try? await listener.close()
                unlink(socketPath)
            }
        } catch {
            state.withLock { $0.group = nil }
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes the listener and all connections, stops the event loop threads and removes the
    /// socket file. Lines queued but not yet written are dropped, so answer a `shutdown` request
    /// before calling this (not from inside the same `handle` call).
    ///
    /// Returns without waiting for `connectionClosed` calls, which run as their connections'
    /// pending `handle` calls return.
    package func stop() async {
        let (group, listener, connections, inode) = state.withLock { state in
            state.stopped = true
            let taken = (state.group, state.listener, Array(state.connections.values), state.boundInode)
            state.group = nil
            state.listener = nil
            state.connections = [:]
            return taken
        }
        if let listener { try? await listener.close() }
        for connection in connections {
            // Before the loops go away: after this, sends are dropped instead of being scheduled.
            connection.markClosed()
            connection.close()
        }
        for connection in connections {
            try? await connection.channel.closeFuture.get()
        }
        if let group { try? await group.shutdownGracefully() }
        if let inode {
            var info = stat()
            if lstat(socketPath, &info) == 0, info.st_ino == inode { unlink(socketPath) }
        }
    }

    /// The connections open now.
    package var connections: [ServerConnection] {
        state.withLock { Array($0.connections.values) }
    }

    // MARK: - Child channels

    private func initializeChild(_ channel: Channel) -> EventLoopFuture<Void> {
        PeerCredentials.of(channel).flatMapThrowing { credentials in
            let pipeline = channel.pipeline.syncOperations
            guard credentials.uid == self.ownUID else {
                let line = ServerLines.error(
                    .invalidRequest, "permission denied: this scheduler belongs to uid \(self.ownUID)")
                try pipeline.addHandler(RefusingChannelHandler(line: line))
                return
            }
            let peer = PeerIdentity(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, userName: self.ownUserName)
            let connection = self.state.withLock { state -> ServerConnection? in
                if state.stopped { return nil }
                let connection = ServerConnection(
                    id: state.nextConnectionID, peer: peer, channel: channel, outboundLimit: self.outboundLimit,
                    sharedOutbound: self.outboundBudget)
                state.nextConnectionID += 1
                state.connections[connection.id] = connection
                return connection
            }
            guard let connection else {
                channel.close(promise: nil)
                return
            }
            let decoder = LineFrameDecoder(
                maxLineBytes: self.maxLineBytes, maxLineBytesBeforeHello: self.maxLineBytesBeforeHello ?? self.maxLineBytes,
                greeted: { [weak connection] in connection?.isGreeted ?? false }, budget: self.inboundBudget)
            try pipeline.addHandler(ByteToMessageHandler(decoder))
            try pipeline.addHandler(RequestChannelHandler(connection: connection, handler: self.handler) { [weak self] closed in
                _ = self?.state.withLock { $0.connections.removeValue(forKey: closed.id) }
            })
        }
    }

    // MARK: - Files

    private static func prepareFolder(of socketPath: String) throws {
        let folder = (socketPath as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        var info = stat()
        // An existing folder is left as it is (it may be /tmp): the socket is 0600 and every
        // peer's uid is checked, whatever the folder's mode.
        if stat(folder, &info) == 0 { return }
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SocketServerError.folder(path: folder, reason: error.localizedDescription)
        }
        guard chmod(folder, 0o700) == 0 else {
            throw SocketServerError.folder(path: folder, reason: "chmod 0700: " + String(cString: strerror(errno)))
        }
    }

    /// Removes a socket file left by a server that is gone; refuses to touch a live one or a file
    /// that is not a socket.
    private static func removeStaleSocket(at path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else { throw SocketServerError.notASocket(path) }
        if probe(path) { throw SocketServerError.alreadyRunning(path) }
        unlink(path)
    }

    /// Whether something accepts connections at `path`.
    private static func probe(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return rc == 0
    }
}

/// Lines the transport writes itself.
enum ServerLines {
    /// A JSON-RPC error response with a null id.
    static func error(_ code: RPCErrorCode, _ message: String) -> Data {
        let response = RPCResponse<Empty>(id: nil, error: RPCError(code, message))
        // Encoding a struct of strings and ints cannot fail; the fallback keeps the type honest.
        return (try? Wire.encoder().encode(response))
            ?? Data(#"{"error":{"code":-32603,"message":"internal error"},"id":null,"jsonrpc":"2.0"}"#.utf8)
    }
}
