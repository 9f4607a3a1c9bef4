import Foundation

/// What a task needs of the machine that runs it: cores and memory.
///
/// In a spec: `"resources": {"cores": 2, "memory_mb": 512}` on the job (for each of its tasks)
/// or on a task (for that one, instead of the job's), as the reference asks per task
/// (`requested_task_resources`). The local scheduler counts its slots as cores: a task that
/// needs 2 takes 2 slots, and memory asks are kept within the scheduler's memory
/// (`taskmon serve --memory-mb`, the machine's by default); a task waits until both are free.
/// On Slurm they become `sbatch --cpus-per-task` and `--mem` (one array per distinct ask).
public struct TaskResources: Codable, Sendable, Equatable, Hashable {
    /// Cores per task; nil: one.
    public var cores: Int?
    /// Megabytes (MiB) of memory per task; nil: no ask, nothing is reserved.
    public var memoryMB: Int?

    public init(cores: Int? = nil, memoryMB: Int? = nil) {
        self.cores = cores
        self.memoryMB = memoryMB
    }

    /// Cores a task takes (one when nothing says).
    public var coresPerTask: Int { cores ?? 1 }
    /// Megabytes a task reserves (none when nothing says).
    public var memoryPerTask: Int { memoryMB ?? 0 }

    /// More than any machine or Slurm node has: an ask above it is a typo.
    public static let maxCores = 4096
    /// 64 TiB in MiB.
    public static let maxMemoryMB = 64 << 20

    enum CodingKeys: String, CodingKey {
        case cores
        case memoryMB = "memory_mb"
    }
}
