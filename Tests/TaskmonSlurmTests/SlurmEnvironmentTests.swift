import Foundation
import Testing
import TaskmonKit

/// A task on Slurm starts from the environment its submitter sent (or the minimal base), as a
/// local one does; never from the scheduler's (issue 9 #14).
@Suite("Slurm backend: a task's environment", .enabled(if: SlurmAvailability.available, "skipped: no Slurm here"))
struct SlurmEnvironmentTests {
    static func variables(_ output: String?) -> [String: String] {
        var map: [String: String] = [:]
        for line in (output ?? "").split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            map[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return map
    }

    @Test("the submitter's environment reaches the task, the scheduler's secret does not; none sent: the minimal base")
    func submitterEnvironment() async throws {
        try await withSlurmScheduler(environment: ["TM_SLURM_SECRET": "hunter2"]) { _, slurm in
            var sent = JobSpec(environment: EnvironmentSpec(env: ["JOBVAR": "j"]), tasks: [TaskSpec(command: ["env"], env: ["TASKVAR": "t"])])
            sent.submitterEnvironment = ["TM_SLURM_MINE": "a b'c", "PATH": "/usr/bin:/bin", "HOME": "/submitter-home"]
            let clean = JobSpec(tasks: [TaskSpec(command: ["env"])])
            let sentJob = try await slurm.waitUntilDone(try await slurm.submit(sent))
            let cleanJob = try await slurm.waitUntilDone(try await slurm.submit(clean))
            #expect(sentJob.backend == "slurm")

            let fromSubmitter = Self.variables(try await slurm.task(sentJob.id, 0).standardOutput)
            #expect(fromSubmitter["TM_SLURM_MINE"] == "a b'c")
            #expect(fromSubmitter["HOME"] == "/submitter-home")
            #expect(fromSubmitter["JOBVAR"] == "j")
            #expect(fromSubmitter["TASKVAR"] == "t")
            #expect(fromSubmitter["TASKMON_JOB_ID"] == String(sentJob.id))
            #expect(fromSubmitter["TM_SLURM_SECRET"] == nil)

            let minimal = Self.variables(try await slurm.task(cleanJob.id, 0).standardOutput)
            let user = try #require(getpwuid(geteuid()))
            #expect(minimal["HOME"] == String(cString: user.pointee.pw_dir))
            #expect(minimal["PATH"]?.hasSuffix(":/usr/local/bin:/usr/bin:/bin") == true, "\(minimal["PATH"] ?? "no PATH")")
            #expect(minimal["TM_SLURM_SECRET"] == nil)
            #expect(minimal["TM_SLURM_MINE"] == nil)
        }
    }
}
