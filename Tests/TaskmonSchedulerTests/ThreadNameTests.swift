import Foundation
import Testing
@testable import TaskmonScheduler

/// The scheduler's own threads carry their names where `ps -L`, `top -H` and `perf` look
/// (/proc/PID/task/TID/comm): Foundation's `Thread.name` never got there on Linux.
@Suite("Thread names")
struct ThreadNameTests {
    @Test("a thread started by startNamedThread shows its name in /proc")
    func namedThreadShowsInProc() async throws {
        let name = "tm-name-\(getpid() % 1000)"
        let release = DispatchSemaphore(value: 0)
        startNamedThread(name) { release.wait() }
        defer { release.signal() }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if Self.threadNames().contains(name) { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("no thread of this process is named \(name): \(Self.threadNames().sorted())")
    }

    static func threadNames() -> Set<String> {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(threads.compactMap { thread in
            (try? String(contentsOfFile: "/proc/self/task/\(thread)/comm", encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
        })
    }
}
