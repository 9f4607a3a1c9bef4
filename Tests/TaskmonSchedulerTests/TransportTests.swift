import Foundation
import TaskmonTestSupport
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import TaskmonKit
import TaskmonScheduler
import Testing

// Real sockets in short temp folders (Unix socket paths are limited to 107 bytes).

/// What the test handler did when asked to stream events.
struct PushReport: Sendable {
    var sent = 0
    var refused = false
    var queuedAtRefusal = 0
    var maxQueued = 0
    var seconds = 0.0
}

/// A stand-in scheduler: answers `hello`, echoes `get_job` params, fails `retry`, answers
/// `status`, and on `subscribe` queues its answer, then streams events.
final class TestHandler: ConnectionHandler {
    /// Events pushed after answering `subscribe`; `Int.max` pushes until `send` refuses.
    let eventsOnSubscribe: Int
    /// Send a resync notice after the events (or when `send` refuses one).
    let resyncAfterEvents: Bool

    let peers = Mutex<[PeerIdentity]>([])
    let handledLines = Mutex(0)
    let closedConnections = Mutex(0)
    let push = Mutex<PushReport?>(nil)

    init(eventsOnSubscribe: Int = 0, resyncAfterEvents: Bool = false) {
        self.eventsOnSubscribe = eventsOnSubscribe
        self.resyncAfterEvents = resyncAfterEvents
    }

    func handle(line: Data, connection: ServerConnection) async -> Data? {
        handledLines.withLock { $0 += 1 }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
              let id = object["id"] as? Int, let method = object["method"] as? String
        else {
            return encode(RPCResponse<Empty>(id: nil, error: RPCError(.parseError, "not a request")))
        }
        switch method {
        case RPCMethod.hello.rawValue:
            peers.withLock { $0.append(connection.peer) }
            return encode(RPCResponse(id: id, result: HelloResult(
                version: Wire.protocolVersion, schedulerPID: getpid(), stateDirectory: "/test/state", slots: 3)))
        case RPCMethod.getJob.rawValue:
            let echo: [String: Any] = ["jsonrpc": "2.0", "id": id, "result": object["params"] ?? NSNull()]
            return try? JSONSerialization.data(withJSONObject: echo, options: [.sortedKeys])
        case RPCMethod.retry.rawValue:
            return encode(RPCResponse<Empty>(id: id, error: RPCError(.notFound, "no task 7 in job 3")))
        case RPCMethod.status.rawValue:
            return encode(RPCResponse(id: id, result: SchedulerStatus(
                pid: getpid(), stateDirectory: "/test/state", slots: 3, busySlots: 1, queued: 2, jobs: 1,
                statusCounts: ["RUNNING": 1], lastSeq: 9)))
        case RPCMethod.subscribe.rawValue:
            connection.sendUnconditionally(encode(RPCResponse(id: id, result: SubscribeResult(lastSeq: 0))))
            stream(to: connection)
            return nil
        default:
            return encode(RPCResponse<Empty>(id: id, error: RPCError(.methodNotFound, "no method \(method)")))
        }
    }

    func connectionClosed(_ connection: ServerConnection) async {
        closedConnections.withLock { $0 += 1 }
    }

    private func stream(to connection: ServerConnection) {
        let started = ContinuousClock.now
        var report = PushReport()
        var seq: UInt64 = 0
        while report.sent < eventsOnSubscribe {
            seq += 1
            let line = encode(RPCNotification(method: RPCNotificationName.event, params: Self.event(seq)))
            if !connection.send(line) {
                report.refused = true
                report.queuedAtRefusal = connection.queuedBytes
                break
            }
            report.sent += 1
            report.maxQueued = max(report.maxQueued, connection.queuedBytes)
        }
        if report.refused || resyncAfterEvents {
            let notice = ResyncNotice(reason: report.refused ? "too far behind" : "test", lastSeq: UInt64(report.sent))
            connection.sendUnconditionally(encode(RPCNotification(method: RPCNotificationName.resync, params: notice)))
        }
        let elapsed = started.duration(to: .now).components
        report.seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        push.withLock { $0 = report }
    }

    static func event(_ seq: UInt64) -> SchedulerEvent {
        SchedulerEvent(
            seq: seq, time: Date(timeIntervalSince1970: 1_700_000_000 + Double(seq)),
            body: .taskProgress(TaskProgressUpdate(
                jobID: 1, taskID: Int(seq % 100), progress: TaskProgress(percent: Int(seq % 100), info: "step \(seq)"))))
    }

    private func encode<T: Encodable>(_ value: T) -> Data {
        // The test's own values always encode.
        try! Wire.encoder().encode(value)
    }
}

/// A temp folder with a short path, removed at the end.
final class TempFolder: Sendable {
    let path: String

    init() throws {
        var template = Array("/tmp/tmnet-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.EIO) }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var socketPath: String { path + "/s/scheduler.sock" }
}

func startServer(
    _ folder: TempFolder, handler: TestHandler, outboundLimit: Int = 8 << 20, maxLineBytes: Int = Wire.maxLineBytes
) async throws -> SocketServer {
    let server = try SocketServer(
        socketPath: folder.socketPath, handler: handler, outboundLimit: outboundLimit, maxLineBytes: maxLineBytes)
    try await server.start()
    return server
}

/// Runs `body` against a started server in a fresh folder, and stops the server whatever happens.
func withServer(
    _ handler: TestHandler, outboundLimit: Int = 8 << 20, maxLineBytes: Int = Wire.maxLineBytes,
    _ body: (SocketServer, TempFolder) async throws -> Void
) async throws {
    let folder = try TempFolder()
    let server = try await startServer(folder, handler: handler, outboundLimit: outboundLimit, maxLineBytes: maxLineBytes)
    do {
        try await body(server, folder)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// A deadline `seconds` from now: a bound on a failure, not a margin on success. 60 s, as
/// `within`'s: under two busy loops the whole suite starts at once on two cooperative threads,
/// trivial tests finish only after 30–60 s, and an in-process server's answer can wait more
/// than 10 s for a thread (a stress run failed `pipelinedRequestsAreAnsweredInOrder` so).
func soon(_ seconds: Int = 60) -> ContinuousClock.Instant {
    ContinuousClock.now + .seconds(seconds)
}

func mode(of path: String) -> mode_t {
    var info = stat()
    guard lstat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o7777
}

func requestLine(id: Int, method: RPCMethod, params: some Codable & Sendable) throws -> Data {
    try Wire.encoder().encode(RPCRequest(id: id, method: method, params: params))
}

/// Runs blocking client code on a thread of its own and awaits its result.
///
/// The client blocks in `recv`; on a small machine the cooperative pool has as few threads as
/// cores, and the server's handler needs one of them to answer. Blocking a pool thread on the
/// answer would deadlock, so no test calls the client from async code directly.
func onThread<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async -> Result<T, E> {
    await withCheckedContinuation { continuation in
        Thread {
            continuation.resume(returning: Result { () throws(E) -> T in try body() })
        }.start()
    }
}

/// Binds a Unix socket at `path` and closes it without listening: the file stays, nobody answers.
func makeDeadSocket(at path: String) -> Bool {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    return bound == 0
}

extension SchedulerClientError {
    var isConnectionLost: Bool {
        if case .connectionLost = self { return true }
        return false
    }
}

@Suite("Transport")
struct TransportTests {
    @Test func folderIs0700AndSocketIs0600AndStaleSocketIsReplaced() async throws {
        let folder = try TempFolder()
        let socketFolder = folder.path + "/s"
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        // A socket file left by a scheduler that crashed.
        try #require(makeDeadSocket(at: folder.socketPath))

        let server = try await startServer(folder, handler: TestHandler())
        // An existing folder is never chmod-ed (it may be /tmp; issue 9): the socket is 0600
        // and every peer's uid is checked. A folder the server creates is 0700.
        #expect(mode(of: socketFolder) == 0o755)
        #expect(mode(of: folder.socketPath) == 0o600)

        // A second server on the same socket must not steal it from the live one.
        let second = try SocketServer(socketPath: folder.socketPath, handler: TestHandler())
        await #expect(throws: SocketServerError.self) { try await second.start() }
        await second.stop()
        #expect(FileManager.default.fileExists(atPath: folder.socketPath))

        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: folder.socketPath))
    }

    @Test func helloAndCallRoundTrip() async throws {
        let handler = TestHandler()
        try await withServer(handler) { server, folder in
            let path = folder.socketPath
            let client = try await onThread { () throws(SchedulerClientError) in
                try SchedulerClient(socketPath: path, clientName: "tests")
            }.get()
            #expect(client.hello.version == Wire.protocolVersion)
            #expect(client.hello.schedulerPID == getpid())
            #expect(client.hello.stateDirectory == "/test/state")
            #expect(client.socketPath == folder.socketPath)

            let echoed = try await onThread { () throws(SchedulerClientError) in
                try client.call(.getJob, JobQuery(jobID: 42, includeTasks: true), as: JobQuery.self)
            }.get()
            #expect(echoed.jobID == 42)
            #expect(echoed.includeTasks)

            let status = try await onThread { () throws(SchedulerClientError) in try client.status() }.get()
            #expect(status.lastSeq == 9)
            #expect(status.statusCounts == ["RUNNING": 1])

            // One connection, several threads: each call must get its own answer.
            let mismatches = await onThread { () -> Int in
                let mismatches = Mutex(0)
                let done = DispatchSemaphore(value: 0)
                for worker in 0..<4 {
                    Thread {
                        for i in 0..<50 {
                            let id = JobID(worker * 1000 + i)
                            let answer = try? client.call(.getJob, JobQuery(jobID: id, includeTasks: false), as: JobQuery.self)
                            if answer?.jobID != id { mismatches.withLock { $0 += 1 } }
                        }
                        done.signal()
                    }.start()
                }
                for _ in 0..<4 { done.wait() }
                return mismatches.withLock { $0 }
            }.get()
            #expect(mismatches == 0)

            client.close()
            #expect(await within(10) { handler.closedConnections.withLock { $0 } == 1 })
        }
    }

    @Test func peerIdentityIsOurs() async throws {
        let handler = TestHandler()
        try await withServer(handler) { server, folder in
            let path = folder.socketPath
            let client = try await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }.get()
            defer { client.close() }
            let peer = try #require(handler.peers.withLock { $0.first })
            #expect(peer.uid == getuid())
            #expect(peer.gid == getgid())
            #expect(peer.pid == getpid())
            let ownName = String(cString: try #require(getpwuid(getuid())).pointee.pw_name)
            #expect(peer.userName == ownName)
            #expect(server.connections.count == 1)
            #expect(server.connections.first?.peer == peer)
        }
    }

    @Test func rpcErrorSurfacesWithItsMessage() async throws {
        try await withServer(TestHandler()) { server, folder in
            let path = folder.socketPath
            let client = try await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }.get()
            defer { client.close() }
            let retried = await onThread { () throws(SchedulerClientError) in try client.retry(3, 7) }
            guard case .failure(let error) = retried else {
                Issue.record("retry should have failed")
                return
            }
            #expect(error == .rpc(RPCError(.notFound, "no task 7 in job 3")))
            #expect(error.description == "no task 7 in job 3")
            // The connection stays usable after an error answer.
            #expect(try await onThread { () throws(SchedulerClientError) in try client.status() }.get().pid == getpid())
        }
    }

    @Test func notRunningForAMissingSocket() async throws {
        let folder = try TempFolder()
        let path = folder.socketPath
        let result = await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }
        guard case .failure(.notRunning(let reportedPath, let reason)) = result else {
            Issue.record("expected notRunning, got \(result)")
            return
        }
        #expect(reportedPath == path)
        #expect(reason == "no such file")
        let description = SchedulerClientError.notRunning(socketPath: reportedPath, reason: reason).description
        #expect(description.contains(path))
        #expect(description.contains("taskmon serve"))

        let viaStateDirectory = await onThread { () throws(SchedulerClientError) in
            try SchedulerClient.connect(StateDirectory(path: folder.path + "/nowhere"))
        }
        guard case .failure(.notRunning(let statePath, _)) = viaStateDirectory else {
            Issue.record("expected notRunning, got \(viaStateDirectory)")
            return
        }
        #expect(statePath == folder.path + "/nowhere/scheduler.sock")
    }

    @Test func notRunningForASocketNobodyListensOn() async throws {
        let folder = try TempFolder()
        let path = folder.path + "/dead.sock"
        try #require(makeDeadSocket(at: path))
        let result = await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }
        guard case .failure(let error) = result else {
            Issue.record("connect should have failed")
            return
        }
        #expect(error == .notRunning(socketPath: path, reason: "connection refused"))
        #expect(error.description == "no scheduler is running at \(path) (connection refused); start one with `taskmon serve` or set --state-dir/TASKMON_STATE_DIR")
    }

    @Test func subscriptionReceivesTenThousandEventsInOrder() async throws {
        let count = 10_000
        let handler = TestHandler(eventsOnSubscribe: count)
        try await withServer(handler) { server, folder in
            let path = folder.socketPath
            let (client, subscription) = try await onThread { () throws(SchedulerClientError) in
                let client = try SchedulerClient(socketPath: path)
                return (client, try client.subscribe(afterSeq: nil))
            }.get()
            defer { client.close() }
            #expect(subscription.subscribed.lastSeq == 0)

            let started = ContinuousClock.now
            var expected: UInt64 = 1
            var outOfOrder = 0
            for try await message in subscription {
                guard case .event(let event) = message else {
                    Issue.record("unexpected \(message)")
                    break
                }
                if event != TestHandler.event(expected) { outOfOrder += 1 }
                expected += 1
                if expected > UInt64(count) { break }
            }
            let elapsed = started.duration(to: .now)
            subscription.cancel()
            #expect(outOfOrder == 0)
            #expect(expected == UInt64(count) + 1)
            let report = try #require(handler.push.withLock { $0 })
            #expect(!report.refused)
            print("10,000 events received in \(elapsed); pushed in \(report.seconds) s, max queued \(report.maxQueued) bytes")
            client.close()
            #expect(await within(10) { handler.closedConnections.withLock { $0 } == 2 })
        }
    }

    @Test func blockingNextEndsAfterResync() async throws {
        try await withServer(TestHandler(eventsOnSubscribe: 5, resyncAfterEvents: true)) { server, folder in
            let path = folder.socketPath
            let messages = try await onThread { () throws(SchedulerClientError) -> [SubscriptionMessage?] in
                let subscription = try SchedulerClient(socketPath: path).subscribe(afterSeq: 0)
                var messages: [SubscriptionMessage?] = []
                for _ in 0..<7 { messages.append(try subscription.next(timeout: .seconds(10))) }
                return messages
            }.get()
            let expected: [SubscriptionMessage?] = (1...5).map { .event(TestHandler.event(UInt64($0))) }
                + [.resync(ResyncNotice(reason: "test", lastSeq: 5)), nil]
            #expect(messages == expected)
        }
    }

    @Test func cancelEndsAnIdleSubscription() async throws {
        let handler = TestHandler()
        try await withServer(handler) { server, folder in
            let path = folder.socketPath
            let subscription = try await onThread { () throws(SchedulerClientError) in
                try SchedulerClient(socketPath: path).subscribe(afterSeq: nil)
            }.get()
            let consumer = Task {
                var received = 0
                for try await _ in subscription { received += 1 }
                return received
            }
            try await Task.sleep(for: .milliseconds(100))
            subscription.cancel()
            #expect(try await consumer.value == 0)
            // The client's own connection and the subscription's both close.
            #expect(await within(10) { handler.closedConnections.withLock { $0 } == 2 })
        }
    }

    @Test func subscriptionFailsWithConnectionLostWhenTheSchedulerGoesAway() async throws {
        let folder = try TempFolder()
        let server = try await startServer(folder, handler: TestHandler())
        let path = folder.socketPath
        let subscription = try await onThread { () throws(SchedulerClientError) in
            try SchedulerClient(socketPath: path).subscribe(afterSeq: nil)
        }.get()
        let consumer = Task {
            for try await _ in subscription {}
        }
        await server.stop()
        do {
            try await consumer.value
            Issue.record("the subscription should have failed")
        } catch {
            #expect((error as? SchedulerClientError)?.isConnectionLost == true)
        }
    }

    @Test func slowSubscriberIsRefusedInsteadOfBuffered() async throws {
        let limit = 64 << 10
        let handler = TestHandler(eventsOnSubscribe: 10_000_000)
        try await withServer(handler, outboundLimit: limit) { server, folder in
            // A raw client that subscribes and then does not read.
            let raw = try SocketLineConnection(path: folder.socketPath)
            defer { raw.close() }
            try await onThread { () throws -> Void in
                try raw.writeLine(requestLine(id: 0, method: .hello, params: HelloParams(client: "slow")))
                _ = try raw.readLine(deadline: soon())
                try raw.writeLine(requestLine(id: 1, method: .subscribe, params: SubscribeParams(afterSeq: nil)))
            }.get()

            #expect(await within(10) { handler.push.withLock { $0 } != nil })
            let report = try #require(handler.push.withLock { $0 })
            #expect(report.refused)
            #expect(report.maxQueued <= limit)
            #expect(report.queuedAtRefusal <= limit)
            // The sender was told no at once: it never waited for the reader.
            #expect(report.seconds < 5)
            print("slow subscriber: \(report.sent) events accepted, then refused after \(report.seconds) s with \(report.queuedAtRefusal) bytes queued")

            // Everything accepted still arrives, in order, followed by the resync notice.
            let (answerID, events, notice) = try await onThread { () throws -> (Int?, [UInt64], ResyncNotice?) in
                let decoder = Wire.decoder()
                let answer = try decoder.decode(RPCEnvelope.self, from: raw.readLine(deadline: soon()))
                var events: [UInt64] = []
                while true {
                    let line = try raw.readLine(deadline: soon())
                    let envelope = try decoder.decode(RPCEnvelope.self, from: line)
                    if envelope.method == RPCNotificationName.resync {
                        return (answer.id, events, try decoder.decode(RPCNotification<ResyncNotice>.self, from: line).params)
                    }
                    events.append(try decoder.decode(RPCNotification<SchedulerEvent>.self, from: line).params.seq)
                }
            }.get()
            #expect(answerID == 1)
            #expect(events == Array(1...UInt64(report.sent)))
            #expect(notice?.lastSeq == UInt64(report.sent))
            #expect(await within(10) { server.connections.first?.queuedBytes == 0 })
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer(TestHandler()) { server, folder in
            let raw = try SocketLineConnection(path: folder.socketPath)
            defer { raw.close() }
            var batch = Data()
            for id in 1...300 {
                batch.append(try requestLine(id: id, method: .getJob, params: JobQuery(jobID: JobID(id), includeTasks: false)))
                batch.append(UInt8(ascii: "\n"))
            }
            batch.removeLast()
            let requests = batch
            let answers = try await onThread { () throws -> [Int] in
                try raw.writeLine(requests)
                let decoder = Wire.decoder()
                return try (1...300).map { _ in
                    let response = try decoder.decode(RPCResponse<JobQuery>.self, from: raw.readLine(deadline: soon()))
                    return response.id == Int(response.result?.jobID ?? -1) ? response.id ?? -1 : -1
                }
            }.get()
            #expect(answers == Array(1...300))
        }
    }

    @Test func overLongLineClosesOnlyThatConnection() async throws {
        let handler = TestHandler()
        try await withServer(handler, maxLineBytes: 1024) { server, folder in
            let path = folder.socketPath
            let good = try await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }.get()
            defer { good.close() }

            let raw = try SocketLineConnection(path: path)
            defer { raw.close() }
            let (line, after) = try await onThread { () throws(SchedulerClientError) in
                try raw.writeLine(Data(repeating: UInt8(ascii: "x"), count: 4096))
                let line = try raw.readLine(deadline: soon())
                return (line, Result { () throws(SchedulerClientError) in try raw.readLine(deadline: soon()) })
            }.get()
            let envelope = try Wire.decoder().decode(RPCEnvelope.self, from: line)
            #expect(envelope.id == nil)
            #expect(envelope.error?.code == RPCErrorCode.invalidRequest.rawValue)
            #expect(envelope.error?.message.contains("longer than 1024 bytes") == true)
            #expect(String(decoding: line, as: UTF8.self).contains(#""id":null"#))
            guard case .failure(let error) = after else {
                Issue.record("the connection should be closed")
                return
            }
            #expect(error.isConnectionLost)

            let echoed = try await onThread { () throws(SchedulerClientError) in
                try good.call(.getJob, JobQuery(jobID: 5, includeTasks: false), as: JobQuery.self)
            }.get()
            #expect(echoed.jobID == 5)

            // A line of exactly the limit is still a request.
            let prefix = #"{"id":9,"jsonrpc":"2.0","method":"get_job","params":{"include_tasks":false,"job_id":9,"pad":""#
            let suffix = #""}}"#
            let exact = Data((prefix + String(repeating: "p", count: 1024 - prefix.utf8.count - suffix.utf8.count) + suffix).utf8)
            #expect(exact.count == 1024)
            let edge = try SocketLineConnection(path: path)
            defer { edge.close() }
            let answer = try await onThread { () throws -> RPCResponse<JobQuery> in
                try edge.writeLine(exact)
                return try Wire.decoder().decode(RPCResponse<JobQuery>.self, from: edge.readLine(deadline: soon()))
            }.get()
            #expect(answer.id == 9)
            #expect(answer.result?.jobID == 9)
            // `good`'s hello and call, and the edge line: the over-long line never reached the handler.
            #expect(handler.handledLines.withLock { $0 } == 3)
        }
    }

    @Test func stopRemovesTheSocketAndBreaksConnections() async throws {
        let folder = try TempFolder()
        let handler = TestHandler()
        let server = try await startServer(folder, handler: handler)
        let path = folder.socketPath
        let client = try await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }.get()
        defer { client.close() }
        #expect(try await onThread { () throws(SchedulerClientError) in try client.status() }.get().pid == getpid())

        await server.stop()
        #expect(!FileManager.default.fileExists(atPath: path))
        let after = await onThread { () throws(SchedulerClientError) in try client.status() }
        guard case .failure(let error) = after else {
            Issue.record("the call should have failed")
            return
        }
        #expect(error.isConnectionLost)
        #expect(await within(10) { handler.closedConnections.withLock { $0 } == 1 })

        let reconnect = await onThread { () throws(SchedulerClientError) in try SchedulerClient(socketPath: path) }
        guard case .failure(let reconnectError) = reconnect else {
            Issue.record("connect should have failed")
            return
        }
        #expect(reconnectError == .notRunning(socketPath: path, reason: "no such file"))
    }

    /// Runs a tiny Perl client as `nobody` against a socket opened up for this test only: the
    /// folder and socket modes alone would stop it, so they are loosened to reach the uid check.
    @Test(.enabled(if: getuid() == 0
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/perl")
        && getpwnam("nobody") != nil))
    func otherUsersAreRefused() async throws {
        let handler = TestHandler()
        try await withServer(handler) { server, folder in
            #expect(chmod(folder.path, 0o711) == 0)
            #expect(chmod(folder.path + "/s", 0o711) == 0)
            #expect(chmod(folder.socketPath, 0o666) == 0)

            let script = #"""
                use IO::Socket::UNIX;
                # The server refuses at once, without reading: by the time the hello is written
                # the socket may be closed, and the write's SIGPIPE would kill the client (the
                # status 13 of a run in ten under load, first taken for EACCES). The refusal is
                # still there to read.
                $SIG{PIPE} = 'IGNORE';
                my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!\n";
                print $s qq({"jsonrpc":"2.0","id":0,"method":"hello","params":{"version":1,"client":"intruder"}}\n);
                my $line = <$s>;
                print $line;
                my $more = <$s>;
                print defined($more) ? "MORE\n" : "EOF\n";
                """#
            let path = folder.socketPath
            let (status, how, output) = try await onThread { () throws -> (Int32, String, String) in
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
                process.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "/usr/bin/perl", "-e", script, path]
                let output = Pipe()
                process.standardOutput = output
                process.standardError = output
                try process.run()
                let data = output.fileHandleForReading.readDataToEndOfFile()
                process.waitUntilExit()
                let how = process.terminationReason == .uncaughtSignal ? "killed by signal" : "exit status"
                return (process.terminationStatus, how, String(decoding: data, as: UTF8.self))
            }.get()
            #expect(status == 0 && how == "exit status", "\(how) \(status): \(output)")

            let lines = output.split(separator: "\n").map(String.init)
            try #require(lines.count == 2, "output: \(lines)")
            let envelope = try Wire.decoder().decode(RPCEnvelope.self, from: Data(lines[0].utf8))
            #expect(envelope.error == RPCError(.invalidRequest, "permission denied: this scheduler belongs to uid \(geteuid())"))
            #expect(lines[1] == "EOF")
            #expect(handler.handledLines.withLock { $0 } == 0)
            #expect(handler.peers.withLock { $0 }.isEmpty)
            #expect(server.connections.isEmpty)
        }
    }
}
