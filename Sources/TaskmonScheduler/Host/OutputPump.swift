import CTaskmonPOSIX
import Foundation
import Synchronization

/// Moves what tasks print from their pipes into spool files, served from the loop of the
/// ``ProcessReaper`` that reaps those tasks (``ServedElsewhere``): a task's end then costs one
/// thread's wake-up, not two.
///
/// A spool file is created on the first byte, so a task that prints nothing costs no inode:
/// creating two files per task was the largest cost of a job of many short tasks. The bytes
/// go pipe → file with `splice`, never through the scheduler's memory, so a task may print
/// gigabytes.
package final class OutputPump: Sendable {
    private let core: Core

    /// A pump with no thread of its own: whoever waits on ``servedElsewhere``'s descriptor
    /// serves it when it is readable (``ProcessReaper`` does, for the launcher of the same
    /// tasks). `onClosed` is called there once a stream reached its end and everything it
    /// carried is in its file, with the token `add` returned.
    package init(servedElsewhere onClosed: @escaping @Sendable (UInt64) -> Void) {
        core = Core(onClosed: onClosed)
    }

    /// What a loop of someone else's needs to serve a pump: a descriptor that is readable
    /// while streams want service (an epoll set's own), and the call that serves them without
    /// blocking, which returns false once the pump has been released and has shut down (the
    /// descriptor is closed then: take it out of the loop's set first, in `beforeClosing`).
    package struct ServedElsewhere: Sendable {
        package let descriptor: Int32
        package let serve: @Sendable (_ beforeClosing: () -> Void) -> Bool
    }

    /// How to serve it from another loop; the loop keeps only the pump's core alive, so the
    /// pump's release still stops it.
    package var servedElsewhere: ServedElsewhere {
        let core = self.core
        return ServedElsewhere(descriptor: core.descriptor) { beforeClosing in core.serveReady(beforeClosing) }
    }

    deinit {
        core.stop()
    }

    /// Starts moving `pipe` (its read end; the pump owns it from now on) into `path`.
    package func add(pipe: Int32, path: String) -> UInt64 {
        core.add(pipe: pipe, path: path)
    }

    /// The pump's state, shared with the loop that serves it; it shuts down when the pump is released.
    private final class Core: Sendable {
        private struct Stream {
            var pipe: Int32
            var path: String
            var file: Int32 = -1
        }

        /// Token of the eventfd that asks the pump to shut down.
        private static let stopToken: UInt64 = 0
        private let epoll = ctaskmon_epoll_create()
        private let wake = ctaskmon_eventfd()
        private let streams = Mutex<[UInt64: Stream]>([:])
        private let nextToken = Mutex<UInt64>(1)
        private let onClosed: @Sendable (UInt64) -> Void

        init(onClosed: @escaping @Sendable (UInt64) -> Void) {
            self.onClosed = onClosed
            _ = ctaskmon_epoll_add(epoll, wake, Self.stopToken)
        }

        func add(pipe: Int32, path: String) -> UInt64 {
            let token = nextToken.withLock { value in
                defer { value += 1 }
                return value
            }
            streams.withLock { $0[token] = Stream(pipe: pipe, path: path) }
            if ctaskmon_epoll_add(epoll, pipe, token) != 0 {
                // Cannot watch it: finish it on another thread (the caller may hold locks
                // that `onClosed` takes) rather than lose track of it.
                DispatchQueue.global().async {
                    _ = self.pump(token, ready: nil)
                    self.close(token)
                }
            }
            return token
        }

        func stop() {
            var one: UInt64 = 1
            _ = write(wake, &one, 8)
        }

        var descriptor: Int32 { epoll }

        /// Serves what is ready now, without waiting; false once the pump has shut down.
        func serveReady(_ beforeClosing: () -> Void) -> Bool {
            let capacity = 64
            return withUnsafeTemporaryAllocation(of: UInt64.self, capacity: capacity) { tokens in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: capacity) { ready in
                    let count = ctaskmon_epoll_wait_events_timeout(
                        epoll, tokens.baseAddress, ready.baseAddress, Int32(capacity), 0)
                    guard count > 0 else { return true }
                    for index in 0..<Int(count) {
                        if tokens[index] == Self.stopToken {
                            beforeClosing()
                            shutDown()
                            return false
                        }
                        if !pump(tokens[index], ready: ready[index]) { close(tokens[index]) }
                    }
                    return true
                }
            }
        }

        /// Moves what is waiting; returns false when the stream has ended. `ready` is what
        /// epoll said of the pipe; nil when nobody asked it (then the pipe is asked).
        ///
        /// epoll's answer saves three calls a stream at its end (most tasks' streams carry
        /// nothing): a hang-up without bytes is the end, and bytes are spliced until the
        /// pipe is empty (EAGAIN: its writers are still there) or closed (0).
        private func pump(_ token: UInt64, ready: UInt32?) -> Bool {
            guard var stream = streams.withLock({ $0[token] }) else { return false }
            // Nothing to read: the end, or only a quiet moment.
            if let ready {
                if ready & UInt32(CTASKMON_READY_READABLE) == 0 { return ready & UInt32(CTASKMON_READY_HANGUP) == 0 }
            } else {
                let available = ctaskmon_readable_bytes(stream.pipe)
                if available < 0 { return false }
                if available == 0 { return !isAtEnd(stream.pipe) }
            }
            if stream.file < 0 {
                // Created on the first byte, so that a silent stream costs no inode.
                stream.file = open(stream.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if stream.file < 0 { stream.file = open("/dev/null", O_WRONLY | O_CLOEXEC) }
                let file = stream.file
                streams.withLock { $0[token]?.file = file }
            }
            while true {
                let moved = ctaskmon_splice_to_file(stream.pipe, stream.file, 1 << 20)
                if moved == 0 { return false }
                if moved < 0 { return errno == EAGAIN || errno == EINTR }
            }
        }

        /// With nothing waiting: whether the writers are gone (a hang-up) or only quiet.
        private func isAtEnd(_ pipe: Int32) -> Bool {
            var poller = pollfd(fd: pipe, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else { return false }
            return poller.revents & Int16(POLLHUP) != 0 && ctaskmon_readable_bytes(pipe) == 0
        }

        private func close(_ token: UInt64) {
            guard let stream = streams.withLock({ $0.removeValue(forKey: token) }) else { return }
            _ = ctaskmon_epoll_remove(epoll, stream.pipe)
            Glibc.close(stream.pipe)
            if stream.file >= 0 { Glibc.close(stream.file) }
            onClosed(token)
        }

        /// The pump was released: write out what is waiting, then let everything go.
        private func shutDown() {
            for token in streams.withLock({ Array($0.keys) }) {
                _ = pump(token, ready: nil)
                close(token)
            }
            Glibc.close(wake)
            Glibc.close(epoll)
        }
    }
}
