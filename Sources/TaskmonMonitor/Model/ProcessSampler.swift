import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// CPU use and memory of running local tasks, read from `/proc` for the rows on screen only.
///
/// A pid is read at most once a second: two reads of `/proc/PID/stat` give the CPU share in
/// between (like top), `statm` the resident size. A task of another machine (Slurm) has no
/// local pid, and a pid that is gone or not the task's any more reads as nothing.
package final class ProcessSampler {
    package struct Sample: Equatable {
        /// Percent of one core since the previous read; nil on the first read.
        package var cpuPercent: Double?
        package var residentBytes: Int64
    }

    private struct Reading {
        var ticks: UInt64
        var at: ContinuousClock.Instant
        var sample: Sample
    }

    private var readings: [Int32: Reading] = [:]
    private let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    private let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
    /// Where the proc filesystem is; tests may point elsewhere.
    private let procRoot: String

    package init(procRoot: String = "/proc") { self.procRoot = procRoot }

    /// The latest figures for `pid`, reading `/proc` if the last read is a second old.
    package func sample(_ pid: Int32, now: ContinuousClock.Instant = .now) -> Sample? {
        if let last = readings[pid], now - last.at < .seconds(1) { return last.sample }
        guard let ticks = readTicks(pid), let resident = readResident(pid) else {
            readings[pid] = nil
            return nil
        }
        var sample = Sample(cpuPercent: nil, residentBytes: resident)
        if let last = readings[pid], ticks >= last.ticks {
            let elapsed = Double((now - last.at).components.seconds) + Double((now - last.at).components.attoseconds) / 1e18
            if elapsed > 0 { sample.cpuPercent = Double(ticks - last.ticks) / ticksPerSecond / elapsed * 100 }
        }
        readings[pid] = Reading(ticks: ticks, at: now, sample: sample)
        return sample
    }

    /// Forgets pids not in `alive`, so the table does not grow over a day.
    package func keep(only alive: Set<Int32>) {
        readings = readings.filter { alive.contains($0.key) }
    }

    private func readTicks(_ pid: Int32) -> UInt64? {
        guard let text = Self.read("\(procRoot)/\(pid)/stat") else { return nil }
        // The command name is in parentheses and may hold spaces: fields count from after it.
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt
        // cmajflt utime(11) stime(12).
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        return user + system
    }

    private func readResident(_ pid: Int32) -> Int64? {
        guard let text = Self.read("\(procRoot)/\(pid)/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int64(fields[1]) else { return nil }
        return pages * pageSize
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
