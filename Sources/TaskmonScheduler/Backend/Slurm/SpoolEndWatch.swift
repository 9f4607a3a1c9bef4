import Foundation
import Glibc
import Synchronization

/// Tells the Slurm backend the moment a task's stdout on the spool is closed for writing: its
/// command has exited, and a poll now sees the element end instead of up to a poll interval
/// later (for a short job, the last poll was most of taskmon's overhead over a bare sbatch).
///
/// It watches each job's spool folder with inotify (one watch a folder, not one a task). The
/// kernel reports closes only of files written on this machine: on a spool shared over NFS,
/// an element that ran on another node is seen by the regular poll, as before.
final class SpoolEndWatch: @unchecked Sendable {
    private let fd: Int32
    private let source: any DispatchSourceRead
    /// Watched folders by watch descriptor, and the other way, oldest first.
    private let watches = Mutex<(byDescriptor: [Int32: String], byFolder: [String: Int32], order: [String])>(([:], [:], []))
    /// Folders watched at most: the oldest is let go first (a finished job's folder).
    static let limit = 512

    /// Nil where inotify is not available (then only the regular poll runs).
    init?(queue: DispatchQueue, suffix: String = ".stdout", onEnd: @escaping @Sendable () -> Void) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        self.fd = fd
        source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self] in
            guard let self else { return }
            if Self.drain(fd, suffix: suffix, forget: self.forget) { onEnd() }
        }
        source.setCancelHandler { Glibc.close(fd) }
        source.resume()
    }

    deinit { source.cancel() }

    /// Starts watching `folder` (a job's spool folder), if it is not watched already.
    func watch(_ folder: String) {
        let oldest = watches.withLock { watches -> Int32? in
            guard watches.byFolder[folder] == nil else { return nil }
            let descriptor = inotify_add_watch(fd, folder, UInt32(IN_CLOSE_WRITE) | UInt32(IN_ONLYDIR) | UInt32(IN_DONT_FOLLOW))
            guard descriptor >= 0 else { return nil }
            watches.byDescriptor[descriptor] = folder
            watches.byFolder[folder] = descriptor
            watches.order.append(folder)
            guard watches.order.count > Self.limit else { return nil }
            let dropped = watches.order.removeFirst()
            return watches.byFolder.removeValue(forKey: dropped).map { old in
                watches.byDescriptor[old] = nil
                return old
            }
        }
        if let oldest { inotify_rm_watch(fd, oldest) }
    }

    /// A folder the kernel stopped watching (removed).
    private func forget(_ descriptor: Int32) {
        watches.withLock { watches in
            guard let folder = watches.byDescriptor.removeValue(forKey: descriptor) else { return }
            watches.byFolder[folder] = nil
            watches.order.removeAll { $0 == folder }
        }
    }

    /// Folders watched now (tests).
    var watchedFolders: Int { watches.withLock { $0.byFolder.count } }

    /// Reads every pending event; true when one was the close of a file ending in `suffix`
    /// (or events were lost, when any may have been).
    private static func drain(_ fd: Int32, suffix: String, forget: (Int32) -> Void) -> Bool {
        var ended = false
        let suffixBytes = Array(suffix.utf8)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let header = MemoryLayout<inotify_event>.size
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return ended }
            var offset = 0
            while offset + header <= count {
                let (descriptor, mask, length) = buffer.withUnsafeBytes { raw -> (Int32, UInt32, Int) in
                    let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                    return (event.wd, event.mask, Int(event.len))
                }
                let nameStart = offset + header
                offset = nameStart + length
                guard offset <= count else { break }
                if mask & UInt32(IN_Q_OVERFLOW) != 0 { ended = true }
                if mask & UInt32(IN_IGNORED) != 0 { forget(descriptor) }
                guard mask & UInt32(IN_CLOSE_WRITE) != 0, !ended else { continue }
                // The name is NUL-padded to `length`.
                let name = buffer[nameStart..<offset].prefix { $0 != 0 }
                if name.count >= suffixBytes.count, name.suffix(suffixBytes.count).elementsEqual(suffixBytes) { ended = true }
            }
        }
    }
}
