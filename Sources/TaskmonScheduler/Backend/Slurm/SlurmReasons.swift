/// Slurm's pending reasons in plain words, for the task's message.
enum SlurmReasons {
    /// Nil when there is nothing to say (`None`).
    static func plain(_ reason: String, partition: String?) -> String? {
        let place = partition.map { "partition \($0)" } ?? "its partition"
        switch reason {
        case "", "None": return nil
        case "Priority": return "waiting in Slurm's queue behind jobs of higher priority"
        case "Resources": return "waiting in Slurm's queue for free CPUs, memory or nodes"
        case "PartitionConfig":
            return "will not start: it asks for more than \(place) allows (CPUs, memory, time or nodes) (Slurm: PartitionConfig)"
        case "Dependency": return "waiting for the Slurm jobs it depends on"
        case "DependencyNeverSatisfied": return "will never start: a Slurm job it depends on did not succeed"
        case "JobArrayTaskLimit": return "held back by its job array's limit on elements running at once"
        case "BeginTime": return "waiting for its start time"
        case "ReqNodeNotAvail": return "waiting: the nodes it needs are down, drained or reserved"
        case "NodeDown": return "waiting: a node it needs is down"
        case "PartitionDown": return "waiting: \(place) is down"
        case "PartitionInactive": return "waiting: \(place) is inactive"
        case "PartitionNodeLimit", "PartitionTimeLimit":
            return "will not start: it asks for more than \(place) allows (Slurm: \(reason))"
        case "JobHeldUser": return "held in Slurm's queue by a user (scontrol release to let it go)"
        case "JobHeldAdmin": return "held in Slurm's queue by an administrator"
        case "launch failed requeued held": return "held after a failed launch"
        case "BadConstraints": return "will not start: no node has what it asks for (Slurm: BadConstraints)"
        case "InvalidAccount", "InvalidQOS": return "will not start: Slurm refuses its account or QOS (\(reason))"
        default:
            if reason.hasPrefix("QOS") || reason.hasPrefix("Assoc") {
                return "held by a limit of its account or QOS (Slurm: \(reason))"
            }
            return "waiting in Slurm's queue (Slurm: \(reason))"
        }
    }

    /// A reason that will not go away by itself: worth a warning, not just a message.
    static func isPermanent(_ reason: String) -> Bool {
        ["PartitionConfig", "DependencyNeverSatisfied", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints",
         "InvalidAccount", "InvalidQOS"].contains(reason)
    }
}
