import Foundation
import TaskmonTestSupport
import Testing

@Suite("The README's Swift API example")
struct SwiftAPIExampleTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the README shows exactly the example that is compiled and run here")
    func readmeMatchesExample() async throws {
        try await offPool {
            let readme = try String(contentsOf: Self.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
            let example = try String(contentsOf: Self.packageRoot.appendingPathComponent("Examples/SwiftAPI/main.swift"), encoding: .utf8)
            #expect(readme.contains("```swift\n" + example + "```"))
        }
    }

    @Test("the example submits a job, follows its events and reads its tasks back")
    func runsAgainstARealScheduler() async throws {
        try await offPool {
            try withServedScheduler { scheduler in
                let result = try run(Binaries.swiftExample, [], environment: ["TASKMON_STATE_DIR": scheduler.directory.path])
                #expect(result.status == 0, "\(result.stderr)")
                #expect(result.stdout.contains("task 0 (greet): RUNNING -> COMPLETED"))
                #expect(result.stdout.contains("job 1 done: 1 completed, 1 failed"))
                #expect(result.stdout.contains("greet: COMPLETED, stdout \"hello from a task\\n\""))
                #expect(result.stdout.contains("break: FAILED, stdout \"\", exception ExitStatus: exited with status 3"))
            }
        }
    }
}
