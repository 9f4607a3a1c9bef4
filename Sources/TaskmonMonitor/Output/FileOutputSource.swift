import Foundation
import TaskmonKit
#if canImport(Glibc)
import Glibc
#endif

/// A local file read with `pread`: for the benchmark, and for tests of streams too large to
/// hold in memory (a sparse file of any size costs nothing and reads as zeros).
package final class FileOutputSource: OutputSource, Sendable {
    /// Why a file could not be opened or read.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package var description: String
    }

    /// The file read.
    package let path: String
    /// What every read that reaches the end says about growth: a file cannot tell.
    package let isComplete: Bool
    private let fd: Int32

    /// Opens `path` for reading; `complete` says whether the stream is finished.
    package init(path: String, complete: Bool = true) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.path = path
        self.isComplete = complete
        self.fd = fd
    }

    deinit { close(fd) }

    package func read(offset: Int64, length: Int) throws -> OutputChunk {
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw Failure(description: "cannot stat \(path): \(String(cString: strerror(errno)))")
        }
        let size = Int64(info.st_size)
        let wanted = Int(max(0, min(Int64(max(0, length)), size - max(0, offset))))
        var data = Data(count: wanted)
        var filled = 0
        while filled < wanted {
            let n = data.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + filled, wanted - filled, off_t(offset) + off_t(filled))
            }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            filled += n
        }
        data.count = filled
        return OutputChunk(offset: offset, data: data, size: size,
                           complete: isComplete && offset + Int64(filled) >= size)
    }
}
