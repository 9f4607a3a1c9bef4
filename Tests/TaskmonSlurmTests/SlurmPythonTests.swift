import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// A Python program written for the reference API, unchanged, against the Slurm backend.
@Suite("Slurm backend: Python tasks", .enabled(if: SlurmAvailability.available && SlurmPython.available, "skipped: no Slurm or no python3 with cloudpickle here"))
struct SlurmPythonTests {
    static let program = """
        import os
        from taskmon.client import JobScheduler
        from taskmon import TaskStatus

        MARKS = os.environ["MARKS"]

        class Workspace:
            def setup(self):
                with open(os.path.join(MARKS, "setup"), "a") as f:
                    f.write("setup\\n")

            def teardown(self):
                with open(os.path.join(MARKS, "teardown"), "a") as f:
                    f.write("teardown\\n")

        class Square:
            def __init__(self, n):
                self.n = n

            def execute(self):
                print("squaring", self.n)
                self.set_property("N", self.n)
                if self.n == 3:
                    raise ValueError("three is not welcome")
                self.result = {"square": self.n * self.n}

        with JobScheduler() as client:
            client.connect()
            job = client.create_job(name="python on slurm", task_environment=Workspace())
            for n in range(4):
                job.add_task(Square(n))
            job.submit()
            job.wait_until_done()
            for task in job.tasks:
                print(task.task_status, repr(task.result), task.properties.get("N"), task.standard_output.strip())
        """

    @Test("a Python job with a task environment: results, properties, output and a failure, as locally")
    func pythonJob() async throws {
        try await withSlurmScheduler(environment: SlurmPython.environment) { _, slurm in
            let folder = makeTempFolder("tmsp")
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try Self.program.write(toFile: folder + "/job.py", atomically: true, encoding: .utf8)
            var environment = SlurmPython.environment
            environment["TASKMON_STATE_DIR"] = slurm.directory.path
            environment["MARKS"] = folder
            let programEnvironment = environment
            let result = try await offPool { try runCommand(["python3", folder + "/job.py"], environment: programEnvironment, timeout: 180) }
            #expect(result.status == 0, "\(result.errors)")
            let lines = result.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 4, "\(result.output)\n\(result.errors)")
            guard lines.count == 4 else { return }
            for n in 0..<3 {
                #expect(lines[n] == "COMPLETED {'square': \(n * n)} \(n) squaring \(n)", "\(lines[n])")
            }
            #expect(lines[3].hasPrefix("FAILED ValueError('three is not welcome') 3 squaring 3"), "\(lines[3])")
            // On Slurm each array element is a host of its own (README, Slurm): the environment's
            // setup() runs once per host, so once per task here, and teardown() when it ends.
            let setups = (try? String(contentsOfFile: folder + "/setup", encoding: .utf8)) ?? ""
            #expect(setups.split(separator: "\n").count == 4, "\(setups)")
            try await eventually("every host's teardown to run", within: 30) {
                ((try? String(contentsOfFile: folder + "/teardown", encoding: .utf8)) ?? "").split(separator: "\n").count == 4
            }
            // Every task ran on Slurm.
            let job = try await slurm.job(1)
            #expect(job.backend == "slurm")
            for task in job.tasks ?? [] { #expect(task.host?.hasPrefix("slurm ") == true) }
        }
    }
}

/// The repository's Python client, for the program and for the hosts on the node.
enum SlurmPython {
    static var environment: [String: String] {
        let source = repositoryRoot + "/Clients/python/src"
        let path = ProcessInfo.processInfo.environment["PYTHONPATH"].map { source + ":" + $0 } ?? source
        return ["PYTHONPATH": path]
    }

    static let available: Bool = {
        let result = try? runCommand(["python3", "-c", "import cloudpickle"], environment: environment, timeout: 30)
        if result?.status != 0 { print("skipped: python3 with cloudpickle is not installed") }
        return result?.status == 0
    }()
}
