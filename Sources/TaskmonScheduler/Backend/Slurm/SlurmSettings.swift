import Foundation

/// How the scheduler hands its tasks to a Slurm cluster (`taskmon serve --backend slurm`).
public struct SlurmSettings: Sendable, Equatable {
    /// The partition to submit to; nil uses the cluster's default partition.
    public var partition: String?
    /// The `slurm.conf` every Slurm command reads; nil leaves `SLURM_CONF` (or Slurm's default) alone.
    public var slurmConf: String?
    /// How often the one `squeue` poll for all submitted tasks runs.
    public var pollInterval: Duration
    /// How long launches asked for in a burst are collected into one job array.
    public var collectWindow: Duration
    /// How long one Slurm command may take: sbatch retries for 120 s at MaxJobCount; a refused
    /// submission must be an error on the job, not a hang.
    public var commandTimeout: Duration
    /// Where the Slurm commands are looked up; nil uses the scheduler's PATH.
    public var searchPath: String?

    public init(
        partition: String? = nil, slurmConf: String? = nil, pollInterval: Duration = .seconds(1),
        collectWindow: Duration = .milliseconds(5), commandTimeout: Duration = .seconds(20), searchPath: String? = nil
    ) {
        self.partition = partition
        self.slurmConf = slurmConf
        self.pollInterval = pollInterval
        self.collectWindow = collectWindow
        self.commandTimeout = commandTimeout
        self.searchPath = searchPath
    }
}
