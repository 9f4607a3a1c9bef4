import Foundation

/// Finds the host processes (tasks, setups, and anything they started) of one demo scheduler.
///
/// The demo puts ``variable`` into the environment of everything its scheduler runs, with its
/// state dir as the value; children inherit it. This lets the demo make sure, after stopping its
/// scheduler, that none of its tasks survive it (they are long sleepers that would otherwise run
/// on for minutes), and lets the end-to-end test check the same from outside.
enum DemoProcesses {
    /// Names the demo scheduler a process belongs to.
    static let variable = "TASKMON_DEMO_STATE_DIR"

    /// The pids of live processes whose environment carries `variable=stateDirectory`.
    static func pids(of stateDirectory: String) -> [Int32] {
        let marker = Array("\(variable)=\(stateDirectory)".utf8)
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                  let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { return nil }
            // Zombies have an empty environ and are harmless; their parent reaps them.
            return environ.split(separator: 0).contains { $0.elementsEqual(marker) } ? pid : nil
        }
    }

    /// SIGKILLs whatever of the demo still runs; returns how many processes it found.
    static func killAll(of stateDirectory: String) -> Int {
        let pids = pids(of: stateDirectory)
        for pid in pids { kill(pid, SIGKILL) }
        return pids.count
    }
}
