import Foundation
import TaskmonKit

/// Finds the processes of this state dir's tasks by the marker every task carries in its
/// environment (`TASKMON_STATE_DIR`, with `TASKMON_JOB_ID`, `TASKMON_TASK_ID`, `TASKMON_ATTEMPT`),
/// and kills them: those a crashed scheduler left behind, and those that left their task's
/// process group (setsid, setpgid) to outlive it.
///
/// A process that cleared its environment (`env -i`) carries no marker and is not found here;
/// where the machine allows it, the task's cgroup (``TaskCgroups``) ends it instead.
enum OrphanSweep {
    /// A process that says it belongs to a task of this state dir.
    struct Found: Equatable, Sendable {
        var pid: Int32
        var key: TaskKey
        var attempt: Int
    }

    /// The marker's variable; also where `taskmon` run inside a task finds its scheduler.
    static let stateDirVariable = "TASKMON_STATE_DIR"

    /// Every live process of ours (same uid) that carries this state dir's task marker, except
    /// this process.
    static func scan(_ stateDirectory: StateDirectory, among pids: [Int32]? = nil) -> [Found] {
        let candidates = pids ?? ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        let uid = getuid()
        let me = getpid()
        return candidates.compactMap { pid -> Found? in
            guard pid > 1, pid != me else { return nil }
            var info = stat()
            guard stat("/proc/\(pid)", &info) == 0, info.st_uid == uid else { return nil }
            return task(of: pid, stateDirectory)
        }
    }

    /// The task a process says it belongs to, if it names this state dir.
    static func task(of pid: Int32, _ stateDirectory: StateDirectory) -> Found? {
        guard let environ = read("/proc/\(pid)/environ") else { return nil }
        var job: JobID?, index: TaskIndex?, attempt = 0, ours = false
        let marker = "\(stateDirVariable)=\(stateDirectory.path)"
        for entry in environ.split(separator: 0) {
            let text = String(decoding: entry, as: UTF8.self)
            if text == marker { ours = true }
            else if let value = text.value(of: TaskEnvironment.jobID) { job = JobID(value) }
            else if let value = text.value(of: TaskEnvironment.taskID) { index = TaskIndex(value) }
            else if let value = text.value(of: TaskEnvironment.attempt) { attempt = Int(value) ?? 0 }
        }
        guard ours, let job, let index else { return nil }
        return Found(pid: pid, key: TaskKey(job: job, task: index), attempt: attempt)
    }

    /// Kills the process and, when it leads one, its process group. Only for a process found
    /// by its marker a moment ago.
    static func kill(_ found: Found) {
        if getpgid(found.pid) == found.pid { _ = Glibc.kill(-found.pid, SIGKILL) }
        _ = Glibc.kill(found.pid, SIGKILL)
    }

    /// Kills the process group of `pid` if that process is still the task `key` of this state
    /// dir (its environment names both), never an unrelated process that reused the pid.
    static func kill(pid: Int32, _ key: TaskKey, stateDirectory: StateDirectory) {
        guard let found = task(of: pid, stateDirectory), found.key == key else { return }
        kill(found)
    }

    /// A small /proc file, read without following links (bounded: environ can be large).
    private static func read(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        while data.count < 1 << 20 {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data.append(contentsOf: buffer[0..<n])
        }
        return data
    }
}

private extension String {
    func value(of variable: String) -> Substring? {
        guard hasPrefix(variable), dropFirst(variable.count).first == "=" else { return nil }
        return dropFirst(variable.count + 1)
    }
}
