import Foundation
import TaskmonKit

/// Cores and memory: what a job's tasks claim while they run, and whether the next one fits.
///
/// Slots count cores. A task asking for `resources.cores = N` (its own, else its job's) holds
/// N slots, and its memory ask is reserved against ``Lifecycle/Settings/memoryMB`` while it
/// runs (a setup run for it holds the same, since the task takes the setup's place). Tasks
/// start in queue order: the first one that does not fit waits, and everything behind it
/// waits too, so that a task asking for much is not starved by a stream of small ones.
extension Lifecycle {
    /// Whether the next task in line can start now.
    enum Admission: Equatable {
        case fits
        /// Not enough is free now; it will be once running tasks end.
        case waits
        /// More than this scheduler has at all (a restart with fewer slots): it never will.
        case neverFits(String)
    }

    /// What a task asks for: its own resources, else its job's.
    func resources(of key: TaskKey) -> TaskResources? {
        task(key)?.resources ?? jobs[key.job]?.resources
    }

    /// What a task (or the setup run for it) holds while it runs.
    func claim(for key: TaskKey) -> ResourceClaim {
        guard settings.countsResources, let resources = resources(of: key) else { return .one }
        return ResourceClaim(cores: resources.coresPerTask, memoryMB: resources.memoryPerTask)
    }

    func admission(_ key: TaskKey) -> Admission {
        let claim = claim(for: key)
        if let problem = Self.unfit(claim, slots: settings.slots, memoryMB: settings.memoryMB) { return .neverFits(problem) }
        if busySlots + claim.cores > settings.slots { return .waits }
        if let memory = settings.memoryMB, busyMemoryMB + claim.memoryMB > memory { return .waits }
        return .fits
    }

    /// Why a task claiming `claim` can never run on `slots` cores and `memoryMB` megabytes; nil when it can.
    static func unfit(_ claim: ResourceClaim, slots: Int, memoryMB: Int?) -> String? {
        if claim.cores > slots {
            return "needs \(claim.cores) cores and this scheduler has \(slots) slot(s), one a core (taskmon serve --slots)"
        }
        if let memoryMB, claim.memoryMB > memoryMB {
            return "needs \(claim.memoryMB) MB of memory and this scheduler may hand out \(memoryMB) MB (taskmon serve --memory-mb)"
        }
        return nil
    }

    /// The task becomes ENVIRONMENT_ERROR: it can never run here.
    mutating func resourcesNeverFit(_ key: TaskKey, _ problem: String, at now: Moment) {
        move(key, to: .environmentError) {
            $0.exception = TaskException(type: "ResourcesUnavailable", message: "this task " + problem)
            $0.finishedAt = now.wall
        }
        completeJobIfDone(key.job, at: now)
    }
}
