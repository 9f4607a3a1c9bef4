import Foundation
import TaskmonKit
#if canImport(Glibc)
import Glibc
#endif

/// The tails of a job's environment setup and teardown output, as text lines for the job
/// detail and a task's Info tab. Read from the spool where this machine can see it: files
/// opened without following links, at most 4 KiB and 20 lines of each.
enum EnvironmentOutput {
    static func lines(_ job: JobID, in stateDirectory: StateDirectory) -> [String] {
        var lines: [String] = []
        let folder = stateDirectory.jobOutputPath(job)
        for phase in ["setup", "teardown"] {
            var found = false
            for stream in ["stdout", "stderr"] {
                guard let tail = tail(folder + "/\(phase).\(stream)") else { continue }
                if !found {
                    lines.append("")
                    lines.append("Environment \(phase):")
                    found = true
                }
                lines.append("  \(stream) (last lines):")
                lines += tail.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).map { "    " + $0 }
            }
        }
        return lines
    }

    private static func tail(_ path: String, bytes: Int = 4096) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 else { return nil }
        let start = max(0, Int64(info.st_size) - Int64(bytes))
        var buffer = [UInt8](repeating: 0, count: Int(Int64(info.st_size) - start))
        let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard count > 0 else { return nil }
        var text = String(decoding: buffer[..<count], as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
