import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

import TaskmonScheduler
import TaskmonTestSupport

@Suite("LocalBackend when a pid comes back")
struct LocalBackendPidReuseTests {
    /// A run whose exit was reported while something it left behind still holds its output
    /// waits, after its reap, for that output to end: its pid is free meanwhile, and with a
    /// pid_max of 32,768 a busy scheduler hands it out again within seconds. The next run with
    /// that pid was taken for the old one (runs were kept by pid): its exit was never reported
    /// and its task ran for ever.
    @Test(
        "a run that gets the pid of an ended run still waiting for its output is a run of its own: its exit is reported",
        .enabled(if: canChooseTheNextPid, "needs /proc/sys/kernel/ns_last_pid (root) to hand a pid out again"))
    func aPidHandedOutAgainIsANewRun() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("taskmon-reuse-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let inbox = BackendInbox(wake: {})
        let backend = LocalBackend(inbox: inbox, clock: SystemClock(), outputGrace: .milliseconds(50))
        let reports = Mutex<[BackendReport]>([])
        func waitFor(_ matches: @escaping @Sendable (BackendReport) -> Bool) async -> Bool {
            await within(30) {
                let drained = inbox.drain()
                return reports.withLock { all in
                    all += drained
                    return all.contains(where: matches)
                }
            }
        }
        func request(_ script: String, _ name: String) -> LaunchRequest {
            LaunchRequest(
                argv: ["/bin/sh", "-c", script], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil,
                stdoutPath: scratch + "/\(name).out", stderrPath: scratch + "/\(name).err")
        }
        var leftovers: [Int32] = []
        defer { for pid in leftovers { kill(pid, SIGKILL) } }

        for attempt in 0..<50 {
            // The old run exits and leaves a child in a session of its own (out of reach of the
            // kill at its reap; no cgroups here) holding its stdout for a minute; it exits only
            // once the child has left its group (the child writes its pid after setsid).
            let old = RunHandle(UInt64(2 * attempt + 1))
            let file = scratch + "/leftover.\(attempt)"
            guard case .started(let oldDetail) = backend.launch(old, request("setsid sh -c 'echo $$ > \(file); exec sleep 60' & while [ ! -s \(file) ]; do sleep 0.01; done; exit 3", "old\(attempt)")),
                  let pid = oldDetail.pid else {
                Issue.record("the old run did not start")
                return
            }
            let reportedEarly = await waitFor {
                if case .exited(old, .exited(3), _, outputComplete: false, _) = $0 { true } else { false }
            }
            #expect(reportedEarly, "the old run's exit was not reported while its output was still open: \(reports.withLock { $0 })")
            if let text = try? String(contentsOfFile: file, encoding: .utf8), let leftover = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                leftovers.append(leftover)
            }

            let new = RunHandle(UInt64(2 * attempt + 2))
            makeNextPid(pid)
            guard case .started(let newDetail) = backend.launch(new, request("exit 5", "new\(attempt)")) else {
                Issue.record("the new run did not start")
                return
            }
            let newExited = await waitFor {
                if case .exited(new, .exited(5), _, outputComplete: true, _) = $0 { true } else { false }
            }
            #expect(newExited, "the new run (pid \(newDetail.pid ?? 0), the old one's \(pid)) was never reported ended")
            guard newDetail.pid == pid else { continue }  // another process took the pid first: again

            // The old run's output ends when what it left is gone, and is said to be the old run's.
            for leftover in leftovers { kill(leftover, SIGKILL) }
            #expect(await waitFor { if case .outputComplete(old, _) = $0 { true } else { false } })
            let wrong = reports.withLock { all in
                all.filter { if case .outputComplete(new, _) = $0 { true } else { false } }
            }
            #expect(wrong.isEmpty, "the new run was said to have ended its output twice: \(wrong)")
            return
        }
        Issue.record("no new run got the pid of an ended one in 50 attempts (other processes forked first)")
    }
}
