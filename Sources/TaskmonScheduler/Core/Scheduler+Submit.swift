import Foundation
import TaskmonKit

extension Scheduler {
    /// How a spec that came over the socket is named in errors; a client replaces it with
    /// the file it read the spec from.
    static let submittedSpecSource = "submitted spec"

    /// Queues a job whose spec has already been parsed; checks what only the scheduler can
    /// check (that each program exists) first, so that a rejected job queues nothing.
    func submit(_ submitted: JobSpec) throws(JobSpecError) -> SubmitResult {
        // The wire decoder checks these too; a spec built in Swift (the API, tests) meets them here.
        try JobSpecLimits.check(submitted, source: Self.submittedSpecSource)
        let spec = try Self.resolvingFolders(submitted)
        try validateFolders(spec)
        try validateExecutables(spec)
        try validateResources(spec)
        lifecycle.nextJobID = takeJobID()
        return submitChecked(spec)
    }

    /// Continues numbering above every id ever given on this state dir (the database keeps
    /// the mark even for jobs it no longer holds), so an id is never given twice.
    func resumeJobIDs(after highWater: JobID) {
        lifecycle.nextJobID = max(lifecycle.nextJobID, highWater + 1)
    }

    /// The next job id whose output folder does not exist yet.
    ///
    /// An `output/<id>/` that is already there belongs to a job this database does not know (it
    /// was deleted, or a crash lost a job that had started): its files are not ours to read as
    /// the new job's output, nor to delete, so the id is skipped and the folder left as it is.
    private func takeJobID() -> JobID {
        let nextJobID = lifecycle.nextJobID
        var id = nextJobID
        var info = stat()
        var skipped = 0
        while lstat(configuration.stateDirectory.jobOutputPath(id), &info) == 0 {
            id += 1
            skipped += 1
        }
        if skipped > 0 {
            logger.warning("skipped job id(s) \(nextJobID)…\(id - 1): their output folders exist but no job of this database wrote them")
        }
        return id
    }

    /// A task's relative `cwd` is taken within the job's; the job's must be absolute, since
    /// the scheduler's own directory means nothing to the submitter (`taskmon submit` and the
    /// Python client send the directory they were run in).
    static func resolvingFolders(_ spec: JobSpec) throws(JobSpecError) -> JobSpec {
        var spec = spec
        let base = spec.environment?.cwd
        if let base, !base.hasPrefix("/") {
            throw JobSpecError(source: submittedSpecSource, key: "environment.cwd", problem: "\"\(base)\" is relative; give an absolute folder (taskmon submit resolves relative ones where it runs)")
        }
        for index in spec.tasks.indices {
            guard let cwd = spec.tasks[index].cwd, !cwd.hasPrefix("/") else { continue }
            guard let base else {
                throw JobSpecError(source: submittedSpecSource, key: "tasks[\(index)].cwd", problem: "\"\(cwd)\" is relative and the job has no environment.cwd to take it in; give an absolute folder")
            }
            spec.tasks[index].cwd = (base as NSString).appendingPathComponent(cwd)
        }
        return spec
    }

    /// A `cwd` that is not a folder is refused at submission, naming the key; the task would
    /// only fail at launch.
    private func validateFolders(_ spec: JobSpec) throws(JobSpecError) {
        var checked: Set<String> = []
        func check(_ cwd: String?, at key: String) throws(JobSpecError) {
            guard let cwd, checked.insert(cwd).inserted else { return }
            var info = stat()
            guard stat(cwd, &info) == 0 else {
                throw JobSpecError(source: Self.submittedSpecSource, key: key, problem: "no such folder \"\(cwd)\" (\(String(cString: strerror(errno))))")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw JobSpecError(source: Self.submittedSpecSource, key: key, problem: "\"\(cwd)\" is not a folder")
            }
        }
        try check(spec.environment?.cwd, at: "environment.cwd")
        for (index, task) in spec.tasks.enumerated() {
            try check(task.cwd, at: "tasks[\(index)].cwd")
        }
    }

    /// A job whose tasks need more cores or memory than this scheduler has is refused at
    /// submission: they could never start (a cluster backend leaves that to the cluster).
    private func validateResources(_ spec: JobSpec) throws(JobSpecError) {
        guard lifecycle.settings.countsResources else { return }
        let settings = lifecycle.settings
        func check(_ resources: TaskResources?, at key: String, who: String) throws(JobSpecError) {
            guard let resources else { return }
            let claim = Lifecycle.ResourceClaim(cores: resources.coresPerTask, memoryMB: resources.memoryPerTask)
            guard let problem = Lifecycle.unfit(claim, slots: settings.slots, memoryMB: settings.memoryMB) else { return }
            let field = claim.cores > settings.slots ? ".cores" : ".memory_mb"
            throw JobSpecError(source: Self.submittedSpecSource, key: key + field, problem: "\(who) \(problem); it could never start here")
        }
        if spec.tasks.contains(where: { $0.resources == nil }) { try check(spec.resources, at: "resources", who: "each task") }
        for (index, task) in spec.tasks.enumerated() {
            try check(task.resources, at: "tasks[\(index)].resources", who: "the task")
        }
    }

    /// A task whose program cannot be found is refused at submission, naming the key.
    private func validateExecutables(_ spec: JobSpec) throws(JobSpecError) {
        var seen: [String: Bool] = [:]
        let basePath = TaskBaseEnvironment.forJob(spec, minimal: configuration.baseEnvironment)["PATH"]
        func check(_ command: [String]?, at key: String, env: [String: String], cwd: String?) throws(JobSpecError) {
            guard let program = command?.first else { return }
            let path = env["PATH"] ?? spec.environment?.env["PATH"] ?? basePath
            let cacheKey = "\(program)\u{0}\(path ?? "")\u{0}\(cwd ?? "")"
            if let known = seen[cacheKey] {
                if known { return }
            } else {
                let found = ExecutableLookup.resolve(program, path: path, workingDirectory: cwd) != nil
                seen[cacheKey] = found
                if found { return }
            }
            let reason = ExecutableLookup.explainFailure(program, path: path, workingDirectory: cwd)
            if reason.hasPrefix("no such file") {
                throw JobSpecError(source: Self.submittedSpecSource, key: key, problem: "no such program \"\(program)\" (looked in \(program.contains("/") ? "its path" : "PATH=\(path ?? "")"))")
            }
            throw JobSpecError(source: Self.submittedSpecSource, key: key, problem: "cannot run \"\(program)\": \(reason)")
        }
        let jobCwd = spec.environment?.cwd
        let jobEnv = spec.environment?.env ?? [:]
        try check(spec.environment?.setup, at: "environment.setup[0]", env: jobEnv, cwd: jobCwd)
        try check(spec.environment?.teardown, at: "environment.teardown[0]", env: jobEnv, cwd: jobCwd)
        for (index, task) in spec.tasks.enumerated() {
            try check(task.command, at: "tasks[\(index)].command[0]", env: task.env, cwd: task.cwd ?? jobCwd)
        }
    }
}
