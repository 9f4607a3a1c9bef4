import Foundation
import Glibc

/// The check at start that the spool takes files: a cluster's tasks write their output and
/// channel there, so a spool that refuses them would fail every task, one by one.
enum SpoolCheck {
    static func writable(_ folder: String) throws {
        let probe = "\(folder)/.taskmon-write-check-\(getpid())"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SchedulerStartError(description: "the spool \(folder) is not writable: \(errorText(errno)); "
                + "Slurm tasks write their output there (it must be on a filesystem the compute nodes share)")
        }
        let written = Glibc.write(fd, "x", 1)
        let problem = written == 1 ? nil : errorText(errno)
        close(fd)
        unlink(probe)
        if let problem { throw SchedulerStartError(description: "the spool \(folder) is not writable: \(problem)") }
    }
}
