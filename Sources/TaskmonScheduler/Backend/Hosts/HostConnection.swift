import CTaskmonPOSIX
import Foundation
import Glibc
import Synchronization

/// The scheduler's end of one host's control socket: writes commands, and reads the host's
/// lines on a thread of its own until the host closes its end (it exited).
final class HostConnection: Sendable {
    /// The socket; closed by the reading thread once it has seen the end.
    private let descriptor: Int32
    /// False once the descriptor is closed: its number may then belong to another file, so no
    /// write may reach it (writes and the close take this lock).
    private let open = Mutex(true)

    /// Longest line accepted from a host; a longer one means the host is broken.
    static let maxLine = 1 << 20

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Sends one command; false when the host is gone (its exit is reported separately).
    @discardableResult
    func send(_ command: HostCommand) -> Bool {
        let data = command.line
        return open.withLock { open in
            guard open else { return false }
            return write(data)
        }
    }

    private func write(_ data: Data) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += n
            }
            return true
        }
    }

    /// Starts the reading thread: `onLine` for every line, then `onEnd` once, after which the
    /// descriptor is closed.
    func startReading(onLine: @escaping @Sendable (Data) -> Void, onEnd: @escaping @Sendable () -> Void) {
        let fd = descriptor
        startNamedThread("taskmon-host", stackSize: 256 << 10) {
            var buffer = Data()
            var chunk = [UInt8](repeating: 0, count: 64 << 10)
            reading: while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer.append(contentsOf: chunk[0..<n])
                while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = buffer[buffer.startIndex..<newline]
                    onLine(Data(line))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                if buffer.count > Self.maxLine { break reading }
            }
            self.open.withLock { open in
                open = false
                close(fd)
            }
            onEnd()
        }
    }

    /// A connected pair of close-on-exec stream sockets: (ours, the host's).
    static func makePair() -> (ours: Int32, theirs: Int32)? {
        var fds: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, kind, 0, &fds) == 0 else { return nil }
        return (fds[0], fds[1])
    }
}
