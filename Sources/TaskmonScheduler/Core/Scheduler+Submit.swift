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
        return submitChecked(spec)
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
