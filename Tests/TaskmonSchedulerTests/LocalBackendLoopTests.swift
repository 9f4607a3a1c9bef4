import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

import TaskmonScheduler
import TaskmonTestSupport

/// The state letter of /proc/PID/stat: "Z" for a child that has exited and is not reaped.
private func processState(_ pid: Int32) -> String? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let after = stat.split(separator: ")").last?.split(separator: " ").first else { return nil }
    return String(after)
}

@Suite("LocalBackend on the scheduler's loop")
struct LocalBackendLoopTests {
    /// Issue 8's class of bug, on the loop: a process that ends while the loop is busy with a
    /// long turn is reaped only after it, and stamping its exit with the reap would make a task
    /// that ended before its deadline look timed out.
    @Test func anExitFoundAfterABusyTurnCarriesWhenItHappened() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("taskmon-loop-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let clock = SystemClock()
        let loop = SchedulerLoop(name: "test-loop", clock: clock)
        defer { loop.stop() }
        let reports = Mutex<[BackendReport]>([])
        let inbox = BackendInbox(wake: {})
        let backend = LocalBackend(inbox: inbox, clock: clock, loop: loop)

        let release = await holdBusy(loop)
        let launchedBefore = clock.now()
        let request = LaunchRequest(
            argv: ["/bin/true"], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil,
            stdoutPath: scratch + "/out", stderrPath: scratch + "/err")
        guard case .started(let detail) = backend.launch(RunHandle(1), request) else {
            release.signal()
            Issue.record("the launch failed")
            return
        }
        let pid = try #require(detail.pid)
        await within { processState(pid) == "Z" }
        #expect(processState(pid) == "Z")
        let endedBy = clock.now()
        release.signal()
        await within {
            let drained = inbox.drain()
            return reports.withLock { all in
                all += drained
                return all.contains { if case .exited = $0 { true } else { false } }
            }
        }
        let exit = reports.withLock { $0 }.compactMap { report -> Moment? in
            if case .exited(_, .exited(0), let at, _, _) = report { at } else { nil }
        }.first
        let at = try #require(exit)
        #expect(at <= endedBy, "stamped \(endedBy.duration(to: at)) after the process had ended")
        #expect(at >= launchedBefore)
        _ = backend
    }

    @Test func anExitIsNeverStampedBeforeItsLaunchOrTheSignalThatEndedIt() {
        let base = Moment(monotonic: 1_000_000_000, wall: Date(timeIntervalSince1970: 1_000))
        func at(_ ms: Int64) -> Moment { base + .milliseconds(ms) }
        // Reaped when the loop woke for it: the reap's own moment.
        #expect(LocalBackend.exitMoment(reapedAt: at(50), happenedSince: at(50), launchedAt: at(0), firstSignalAt: nil, .exited(0)) == at(50))
        #expect(LocalBackend.exitMoment(reapedAt: at(50), happenedSince: nil, launchedAt: at(0), firstSignalAt: nil, .exited(0)) == at(50))
        // Found after a busy turn: the loop's last look, but not before the launch...
        #expect(LocalBackend.exitMoment(reapedAt: at(900), happenedSince: at(100), launchedAt: at(0), firstSignalAt: nil, .exited(0)) == at(100))
        #expect(LocalBackend.exitMoment(reapedAt: at(900), happenedSince: at(100), launchedAt: at(300), firstSignalAt: nil, .exited(0)) == at(300))
        // ...nor before our signal when a signal ended it; an exit of its own may come first.
        #expect(LocalBackend.exitMoment(reapedAt: at(900), happenedSince: at(100), launchedAt: at(0), firstSignalAt: at(500), .signaled(SIGKILL)) == at(500))
        #expect(LocalBackend.exitMoment(reapedAt: at(900), happenedSince: at(100), launchedAt: at(0), firstSignalAt: at(500), .exited(0)) == at(100))
    }
}
