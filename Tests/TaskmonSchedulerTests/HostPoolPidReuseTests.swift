import Foundation
import Glibc
import Synchronization
import Testing
import TaskmonKit
import TaskmonTestSupport

@testable import TaskmonScheduler

@Suite("HostPool when a pid comes back")
struct HostPoolPidReuseTests {
    /// A host that has exited is kept until its last lines are read (its socket closes, or a
    /// moment after the exit when something it left still holds the socket). Its pid is free
    /// meanwhile: the next host that got it was recorded over it (hosts were kept by pid), and
    /// the first host's task was never reported ended; a hello timer of the first could kill
    /// the second.
    @Test(
        "a host that gets the pid of a host that just ended is a host of its own: each launch ends with its own words",
        .enabled(if: canChooseTheNextPid, "needs /proc/sys/kernel/ns_last_pid (root) to hand a pid out again"))
    func aPidHandedOutAgainIsANewHost() async throws {
        let folder = TestScheduler.makeDirectory().path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let inbox = BackendInbox(wake: {})
        let pool = HostPool(inbox: inbox, clock: SystemClock(), capacity: 4, helloTimeout: .seconds(60))
        let reports = Mutex<[BackendReport]>([])
        func launchFailure(_ handle: RunHandle) async -> String? {
            _ = await within(30) {
                let drained = inbox.drain()
                return reports.withLock { all in
                    all += drained
                    return all.contains { if case .launchFailed(handle, _, _) = $0 { true } else { false } }
                }
            }
            return reports.withLock { all in
                all.lazy.compactMap { report -> String? in
                    if case .launchFailed(handle, let error, _) = report { error.message } else { nil }
                }.first
            }
        }
        func request(_ handle: RunHandle, _ script: String) -> LaunchRequest {
            let job = JobID(handle.raw)
            var request = LaunchRequest(
                argv: ["true"], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: nil,
                stdoutPath: folder + "/\(job).stdout", stderrPath: folder + "/\(job).stderr", channelPath: folder + "/\(job).channel",
                purpose: .task(TaskKey(job: job, task: 0)))
            request.host = HostLaunch(
                interpreter: ["sh", "-c", script, "host"], environmentPayload: nil, uniqueID: nil, idleTimeout: .seconds(1),
                taskPayload: folder + "/tasks.pickle#0", setupSpool: folder + "/\(job).setup", teardownSpool: folder + "/\(job).teardown",
                job: job)
            return request
        }
        func pid(in path: String) -> Int32? {
            (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        var leftovers: [Int32] = []
        defer { for pid in leftovers { kill(pid, SIGKILL) } }

        for attempt in 0..<50 {
            // The first host exits before its hello, leaving a child in a session of its own that
            // holds the host's socket (its stdin) for half a minute: its last lines may still come.
            let first = RunHandle(UInt64(2 * attempt + 1)), second = RunHandle(UInt64(2 * attempt + 2))
            let (firstPid, left, secondPid) = ("\(folder)/\(attempt).first", "\(folder)/\(attempt).left", "\(folder)/\(attempt).second")
            let firstScript = """
                echo $$ > \(firstPid); exec 3<&0; setsid sh -c 'echo $$ > \(left); exec sleep 30' <&3 &
                while [ ! -s \(left) ]; do sleep 0.01; done; echo first host gone >&2; exit 3
                """
            guard case .pending = pool.launch(first, request(first, firstScript)) else {
                Issue.record("the first host's launch should be pending")
                return
            }
            // Reaped: its pid is free, while the pool still waits for its last lines.
            _ = await within(30) { pool.liveHosts == 0 && pid(in: left) != nil }
            if let leftover = pid(in: left) { leftovers.append(leftover) }
            guard let reused = pid(in: firstPid) else {
                Issue.record("the first host did not say its pid")
                return
            }
            makeNextPid(reused)
            guard case .pending = pool.launch(second, request(second, "echo $$ > \(secondPid); echo second host gone >&2; exit 4")) else {
                Issue.record("the second host's launch should be pending")
                return
            }
            let firstWords = await launchFailure(first)
            let secondWords = await launchFailure(second)
            #expect(firstWords?.contains("first host gone") == true, "the first host's launch: \(firstWords ?? "never ended")")
            #expect(secondWords?.contains("second host gone") == true, "the second host's launch: \(secondWords ?? "never ended")")
            guard pid(in: secondPid) == reused else { continue }  // another process took the pid first: again
            await pool.close()
            return
        }
        Issue.record("no host got the pid of an ended one in 50 attempts (other processes forked first)")
        await pool.close()
    }
}
