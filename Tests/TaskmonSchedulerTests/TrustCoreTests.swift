import Foundation
import TaskmonTestSupport
import Synchronization
import Testing
import TaskmonKit
@testable import TaskmonScheduler

/// A sink with a small queue that a reader drains a little later, as a real socket does.
private final class DrainingSink: EventSink, Sendable {
    private struct State {
        var queued = 0
        var received: [UInt64] = []
        var unconditional: [String] = []
    }
    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func send(_ line: Data) -> Bool {
        state.withLock { state in
            guard state.queued < capacity else { return false }
            state.queued += 1
            state.received.append(Self.seq(line))
            return true
        }
    }

    func sendUnconditionally(_ line: Data) {
        state.withLock { $0.unconditional.append(String(decoding: line, as: UTF8.self)) }
    }

    /// What a reader on the other end does: takes everything queued.
    func drain() { state.withLock { $0.queued = 0 } }

    var received: [UInt64] { state.withLock { $0.received } }
    var notices: [String] { state.withLock { $0.unconditional } }

    private static func seq(_ line: Data) -> UInt64 {
        let text = String(decoding: line, as: UTF8.self)
        guard let range = text.range(of: #""seq":"#) else { return 0 }
        return UInt64(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
}

private func event(_ seq: UInt64) -> EncodedEvent {
    EncodedEvent(seq: seq, time: Date(), json: Data(#"{"seq":\#(seq)}"#.utf8))
}

private func temporaryStore(maxStoredEvents: Int = Store.defaultMaxStoredEvents) throws -> (Store, String) {
    let folder = TestScheduler.makeDirectory().path
    return (try Store(path: folder + "/taskmon.db", maxStoredEvents: maxStoredEvents), folder)
}

@Suite("Issue 9 in the scheduler: replay, pruning, commits")
struct TrustCoreTests {
    @Test("a replay from the database delivers every event in order, waiting for a slow reader, then goes live")
    func pagedReplay() async throws {
        let (store, folder) = try temporaryStore()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var batch = StoreBatch()
        batch.events = (1...10_000).map(event)
        try store.commit(batch)
        let hub = EventHub(lastSeq: 0, capacity: 100, store: store)
        hub.publish((9_901...10_000).map(event))
        let sink = DrainingSink(capacity: 500)
        let drainer = Task {
            while !Task.isCancelled {
                sink.drain()
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        defer { drainer.cancel() }
        await hub.subscribePaced(sink, afterSeq: 0)
        drainer.cancel()
        // A live event into a full queue is a resync by design: the reader takes what is queued first.
        sink.drain()
        hub.publish([event(10_001)])
        #expect(sink.notices.isEmpty, "\(sink.notices)")
        #expect(sink.received == Array(1...10_001), "got \(sink.received.count) events, first gap after \(zip(sink.received, sink.received.dropFirst()).first { $0 + 1 != $1 }.map { "\($0.0)" } ?? "none")")
    }

    @Test("events are pruned past the bound, and asking for pruned ones gets a resync notice")
    func pruning() async throws {
        let (store, folder) = try temporaryStore(maxStoredEvents: 100)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for start in stride(from: UInt64(1), through: 1_000, by: 10) {
            var batch = StoreBatch()
            batch.events = (start..<start + 10).map(event)
            try store.commit(batch)
        }
        let oldest = try store.oldestStoredEvent()
        #expect(oldest > 800, "events up to \(oldest) kept of 1000 with a bound of 100")
        let hub = EventHub(lastSeq: 1_000, capacity: 10, store: store)
        let sink = DrainingSink(capacity: 10_000)
        await hub.subscribePaced(sink, afterSeq: 0)
        #expect(sink.received.isEmpty)
        #expect(sink.notices.count == 1)
        #expect(sink.notices.first?.contains("resync") == true)
        // Within what is kept, replay works.
        let late = DrainingSink(capacity: 10_000)
        await hub.subscribePaced(late, afterSeq: 950)
        #expect(late.received == Array(951...1_000))
    }

    @Test("after_seq of UInt64.max or far beyond the last event subscribes live, without trapping")
    func farFutureSeq() async throws {
        let hub = EventHub(lastSeq: 5, store: nil)
        let sink = DrainingSink(capacity: 100)
        await hub.subscribePaced(sink, afterSeq: .max)
        hub.publish([event(6)])
        #expect(sink.received == [6])
        #expect(hub.subscriberCount == 1)
    }

    @Test("a job id is never given twice: the mark survives restarts and skips output folders it finds")
    func jobIDHighWater() async throws {
        let directory = TestScheduler.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        var scheduler = try await TestScheduler.start(directory: directory)
        let first = try await scheduler.submit(["true"])
        try await scheduler.waitForJob(first)
        await scheduler.stop()
        // Someone else's leftovers where the next ids would go.
        try FileManager.default.createDirectory(atPath: directory.jobOutputPath(first + 1), withIntermediateDirectories: true)
        try "not yours\n".write(toFile: directory.jobOutputPath(first + 1) + "/0.stdout", atomically: true, encoding: .utf8)
        scheduler = try await TestScheduler.start(directory: directory)
        let second = try await scheduler.submit(["true"])
        #expect(second == first + 2)
        try await scheduler.waitForJob(second)
        let output = try await scheduler.client.task(second, 0).standardOutput
        #expect(output == "")
        #expect((try? String(contentsOfFile: directory.jobOutputPath(first + 1) + "/0.stdout", encoding: .utf8)) == "not yours\n")
        await scheduler.stop()
    }

    @Test("unfinished request lines of all connections together are bounded; the one past the bound is refused")
    func sharedInboundBudget() async throws {
        let folder = try TempFolder()
        let server = try SocketServer(
            socketPath: folder.socketPath, handler: TestHandler(), maxLineBytes: 512 << 10, totalInboundLimit: 1 << 20)
        try await server.start()
        let path = folder.socketPath
        // Three connections each send 400 KiB of a line that never ends: 1.2 MiB in all.
        let answers = try await offPool { () -> [String] in
            let sockets = try (0..<3).map { _ in try RawSocket(path) }
            var answers: [String] = []
            for socket in sockets {
                socket.send(Data(repeating: UInt8(ascii: "x"), count: 400 << 10))
                answers.append(socket.readLine(within: 3))
            }
            return answers
        }
        #expect(answers[0].isEmpty && answers[1].isEmpty, "\(answers)")
        #expect(answers[2].contains("unfinished requests"), "\(answers[2])")
        // Others still get in.
        let client = try await offPool { try SchedulerClient(socketPath: path, timeout: .seconds(5)) }
        #expect(client.hello.slots == 3)
        client.close()
        await server.stop()
    }

    @Test("a spec built in Swift meets the same bounds as one read from a file")
    func swiftSpecBounds() async throws {
        try await withScheduler { scheduler in
            await #expect(throws: SchedulerClientError.self) {
                _ = try await scheduler.submit(["true"]) { $0.taskTimeout = 1e16 }
            }
            await #expect(throws: SchedulerClientError.self) {
                _ = try await scheduler.submit(["true"]) { $0.tasks[0].env["A=B"] = "x" }
            }
            let jobs = try await scheduler.client.status().jobs
            #expect(jobs == 0)
        }
    }
}

/// A bare Unix socket, for bytes no client would send.
private final class RawSocket {
    let fd: Int32

    init(_ path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(fd) }

    /// Sends what the peer takes (stops at the first error).
    func send(_ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return }
                offset += n
            }
        }
    }

    /// The first line that arrives within `seconds`, or "" when none does.
    func readLine(within seconds: Int) -> String {
        var collected = Data()
        let deadline = ContinuousClock.now + .seconds(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while ContinuousClock.now < deadline, !collected.contains(UInt8(ascii: "\n")) {
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, 100) > 0 else { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            collected.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: collected, as: UTF8.self)
    }
}
