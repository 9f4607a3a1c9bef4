import Foundation
import TaskmonKit

extension Scheduler {
    /// How a spec that came over the socket is named in errors; a client replaces it with
    /// the file it read the spec from.
    static let submittedSpecSource = "submitted spec"

    /// Queues a job whose spec has already been parsed; checks what only the scheduler can
    /// check (that each program exists) first, so that a rejected job queues nothing.
    func submit(_ spec: JobSpec) throws(JobSpecError) -> SubmitResult {
        try validateExecutables(spec)
        let id = nextJobID
        nextJobID += 1
        let now = Date()
        var job = JobState(
            id: id, name: spec.name ?? "Job \(id)", description: spec.description, priority: spec.priority,
            taskTimeout: spec.taskTimeout, maxInterruptedRetries: spec.maxInterruptedRetries,
            cancelOnTaskFailure: spec.cancelOnTaskFailure, environment: spec.environment, submittedAt: now,
            tasks: [])
        job.tasks.reserveCapacity(spec.tasks.count)
        for (index, task) in spec.tasks.enumerated() {
            job.tasks.append(TaskState(
                jobID: id, index: index, name: task.name, command: task.command, env: task.env, cwd: task.cwd,
                status: .submitted, submittedAt: now))
        }
        job.counts[TaskStatus.submitted.rawValue] = job.tasks.count
        jobs[id] = job
        jobOrder.append(id)
        batch.newJobs.append(job)
        // One event for the job stands for all its tasks becoming SUBMITTED: a job of
        // 100,000 tasks must not cost 100,000 events.
        pendingEvents.append(.jobSubmitted(job.info(includeTasks: false)))
        var queue = queues[job.priority.rawValue]
        queue.reserveCapacity(queue.count + job.tasks.count)
        for index in job.tasks.indices { queue.append(TaskKey(job: id, task: index)) }
        queues[job.priority.rawValue] = queue
        flush()
        dispatch()
        return SubmitResult(jobID: id, taskCount: job.tasks.count)
    }

    /// A task whose program cannot be found is refused at submission, naming the key.
    private func validateExecutables(_ spec: JobSpec) throws(JobSpecError) {
        var seen: [String: Bool] = [:]
        func check(_ command: [String]?, at key: String, env: [String: String], cwd: String?) throws(JobSpecError) {
            guard let program = command?.first else { return }
            let path = env["PATH"] ?? spec.environment?.env["PATH"] ?? configuration.baseEnvironment["PATH"]
            let cacheKey = "\(program)\u{0}\(path ?? "")\u{0}\(cwd ?? "")"
            if let known = seen[cacheKey] {
                if known { return }
            } else {
                let found = ExecutableLookup.resolve(program, path: path, workingDirectory: cwd) != nil
                seen[cacheKey] = found
                if found { return }
            }
            throw JobSpecError(source: Self.submittedSpecSource, key: key, problem: "no such program \"\(program)\" (looked in \(program.contains("/") ? "its path" : "PATH=\(path ?? "")"))")
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
