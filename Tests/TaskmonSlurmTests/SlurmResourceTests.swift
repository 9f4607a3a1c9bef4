import Foundation
import Testing
import TaskmonKit

/// Cores and memory asks as Slurm resource requests, against a real single-node cluster.
@Suite("Slurm backend: resources as --cpus-per-task and --mem", .enabled(if: SlurmAvailability.available, "skipped: no Slurm here"))
struct SlurmResourceTests {
    @Test("a task asking for 2 cores sees SLURM_CPUS_PER_TASK=2; memory asks show in scontrol; different asks go as separate arrays")
    func resourcesReachSlurm() async throws {
        try await withSlurmScheduler { cluster, slurm in
            let script = "echo \"cpus=${SLURM_CPUS_PER_TASK:-unset}\""
            var spec = JobSpec(name: "resources", tasks: [
                TaskSpec(name: "wide", command: ["sh", "-c", script]),
                TaskSpec(name: "plain", command: ["sh", "-c", script]),
                TaskSpec(name: "memory", command: ["sh", "-c", script]),
            ])
            spec.resources = TaskResources(cores: 2, memoryMB: 64)
            spec.tasks[1].resources = TaskResources(cores: 1)
            spec.tasks[2].resources = TaskResources(memoryMB: 32)
            let job = try await slurm.waitUntilDone(try await slurm.submit(spec))
            #expect(job.count(.completed) == 3)
            var slurmIDs: [String] = []
            for (index, cpus) in [(0, "2"), (1, "1"), (2, "unset")] {
                let task = try await slurm.task(job.id, index)
                #expect(task.standardOutput == "cpus=\(cpus)\n", "task \(index)")
                // "slurm 12_0 on node": the element's id.
                let id = task.host?.split(separator: " ").dropFirst().first.map(String.init) ?? ""
                slurmIDs.append(id)
            }
            let arrays = Set(slurmIDs.map { $0.split(separator: "_").first.map(String.init) ?? $0 })
            #expect(arrays.count == 3, "three different asks, three arrays: \(slurmIDs)")
            func fields(_ id: String) async throws -> [String: String] {
                let shown = try await cluster.slurm(["scontrol", "-o", "show", "job", id])
                var fields: [String: String] = [:]
                for word in shown.output.split(separator: " ") {
                    let parts = word.split(separator: "=", maxSplits: 1)
                    if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
                }
                return fields
            }
            let wide = try await fields(slurmIDs[0])
            #expect(wide["MinMemoryNode"] == "64M", "\(wide)")
            #expect(wide["NumCPUs"] == "2", "\(wide)")
            let memory = try await fields(slurmIDs[2])
            #expect(memory["MinMemoryNode"] == "32M", "\(memory)")

            // More memory than the node has (RealMemory 1024 MB): sbatch's refusal, on the task.
            var greedy = JobSpec(name: "greedy", tasks: [TaskSpec(command: ["true"])])
            greedy.resources = TaskResources(memoryMB: 1 << 20)
            let refused = try await slurm.waitUntilDone(try await slurm.submit(greedy))
            let task = try await slurm.task(refused.id, 0)
            #expect(task.status.isFinished && task.status != .completed, "\(task.status)")
            #expect(task.exception?.type == "LaunchError", "\(String(describing: task.exception))")
            #expect(task.exception?.message.contains("sbatch") == true, "\(String(describing: task.exception))")
        }
    }
}
