import Foundation

/// The bounds every spec is held to, wherever it comes from (a file, the socket, the Swift API).
///
/// Each bound exists so that no spec can make the scheduler trap (a timeout whose milliseconds
/// overflow `Int64`), fail only at launch (an `=` in an environment name) or grow its memory
/// and database without end (a 5 MB name on every task).
public enum JobSpecLimits {
    /// One year: a task timeout beyond it is a typo, and its milliseconds still fit `Int64`
    /// a million times over.
    public static let maxTaskTimeout: Double = 366 * 24 * 3600
    public static let maxInterruptedRetries = 1000
    /// Names of jobs and tasks, in UTF-8 bytes.
    public static let maxNameBytes = 1024
    public static let maxDescriptionBytes = 64 << 10
    /// All of one command's words (or one env map's names and values) together.
    public static let maxCommandBytes = 1 << 20
    public static let maxEnvBytes = 1 << 20
    public static let maxPathBytes = 4096
    /// Tasks in one job.
    public static let maxTasks = 10_000_000
    /// Cancellation messages, in UTF-8 bytes (a longer one is cut, with a mark).
    public static let maxMessageBytes = 4096

    /// Checks every bound of `spec`; the error names the key as written in a spec file.
    public static func check(_ spec: JobSpec, source: String) throws(JobSpecError) {
        func fail(_ key: String, _ problem: String) -> JobSpecError {
            JobSpecError(source: source, key: key, problem: problem)
        }
        if let name = spec.name { try text(name, key: "name", limit: maxNameBytes, source: source) }
        if let description = spec.description {
            try text(description, key: "description", limit: maxDescriptionBytes, source: source)
        }
        if let timeout = spec.taskTimeout {
            guard timeout.isFinite, timeout > 0, timeout <= maxTaskTimeout else {
                throw fail("task_timeout", "expected a positive number of seconds up to \(Int(maxTaskTimeout)) (a year), got \(timeout)")
            }
        }
        guard (0...maxInterruptedRetries).contains(spec.maxInterruptedRetries) else {
            throw fail("max_interrupted_retries", "expected a whole number from 0 to \(maxInterruptedRetries), got \(spec.maxInterruptedRetries)")
        }
        try resources(spec.resources, key: "resources", source: source)
        for (index, task) in spec.tasks.enumerated() where task.resources != nil {
            try resources(task.resources, key: "tasks[\(index)].resources", source: source)
        }
        guard !spec.tasks.isEmpty else { throw fail("tasks", "empty: a job needs at least one task") }
        guard spec.tasks.count <= maxTasks else {
            throw fail("tasks", "\(spec.tasks.count) tasks; a job may have at most \(maxTasks)")
        }
        if let submitted = spec.submitterEnvironment {
            guard spec.inheritEnvironment else {
                throw fail("submitter_env", "given with \"inherit_env\": false; leave one of them out")
            }
            try env(submitted, key: "submitter_env", source: source)
        }
        if let environment = spec.environment {
            if let setup = environment.setup { try command(setup, key: "environment.setup", source: source) }
            if let teardown = environment.teardown { try command(teardown, key: "environment.teardown", source: source) }
            try env(environment.env, key: "environment.env", source: source)
            if let cwd = environment.cwd { try path(cwd, key: "environment.cwd", source: source) }
        }
        for (index, task) in spec.tasks.enumerated() {
            if let name = task.name { try text(name, key: "tasks[\(index)].name", limit: maxNameBytes, source: source) }
            try command(task.command, key: "tasks[\(index)].command", source: source)
            try env(task.env, key: "tasks[\(index)].env", source: source)
            if let cwd = task.cwd { try path(cwd, key: "tasks[\(index)].cwd", source: source) }
        }
    }

    private static func resources(_ resources: TaskResources?, key: String, source: String) throws(JobSpecError) {
        if let cores = resources?.cores, !(1...TaskResources.maxCores).contains(cores) {
            throw JobSpecError(source: source, key: key + ".cores", problem: "expected a whole number of cores from 1 to \(TaskResources.maxCores), got \(cores)")
        }
        if let memory = resources?.memoryMB, !(1...TaskResources.maxMemoryMB).contains(memory) {
            throw JobSpecError(source: source, key: key + ".memory_mb", problem: "expected a whole number of megabytes from 1 to \(TaskResources.maxMemoryMB), got \(memory)")
        }
    }

    private static func text(_ value: String, key: String, limit: Int, source: String) throws(JobSpecError) {
        let bytes = value.utf8.count
        guard bytes <= limit else {
            throw JobSpecError(source: source, key: key, problem: "\(bytes) bytes long; at most \(limit) allowed")
        }
    }

    private static func command(_ argv: [String], key: String, source: String) throws(JobSpecError) {
        guard !argv.isEmpty else {
            throw JobSpecError(source: source, key: key, problem: "empty: a command needs at least the program to run")
        }
        guard !argv[0].isEmpty else {
            throw JobSpecError(source: source, key: key + "[0]", problem: "empty: the program to run has no name")
        }
        var total = 0
        for (index, word) in argv.enumerated() {
            guard !word.utf8.contains(0) else {
                throw JobSpecError(source: source, key: "\(key)[\(index)]", problem: "contains a NUL character, which no program can receive")
            }
            total += word.utf8.count + 1
        }
        guard total <= maxCommandBytes else {
            throw JobSpecError(source: source, key: key, problem: "\(total) bytes of arguments; at most \(maxCommandBytes) allowed")
        }
    }

    private static func env(_ map: [String: String], key: String, source: String) throws(JobSpecError) {
        var total = 0
        for (name, value) in map.sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty else {
                throw JobSpecError(source: source, key: key, problem: "an environment variable needs a name (got \"\")")
            }
            guard !name.utf8.contains(UInt8(ascii: "=")), !name.utf8.contains(0) else {
                throw JobSpecError(source: source, key: "\(key).\(name)", problem: "an environment variable's name cannot contain \"=\" or NUL")
            }
            guard !value.utf8.contains(0) else {
                throw JobSpecError(source: source, key: "\(key).\(name)", problem: "contains a NUL character, which no environment can hold")
            }
            total += name.utf8.count + value.utf8.count + 2
        }
        guard total <= maxEnvBytes else {
            throw JobSpecError(source: source, key: key, problem: "\(total) bytes of environment; at most \(maxEnvBytes) allowed")
        }
    }

    private static func path(_ value: String, key: String, source: String) throws(JobSpecError) {
        guard !value.isEmpty else { throw JobSpecError(source: source, key: key, problem: "empty: give a folder, or leave the key out") }
        guard !value.utf8.contains(0) else { throw JobSpecError(source: source, key: key, problem: "contains a NUL character") }
        guard value.utf8.count <= maxPathBytes else {
            throw JobSpecError(source: source, key: key, problem: "\(value.utf8.count) bytes long; at most \(maxPathBytes) allowed")
        }
    }

    /// `message` cut to ``maxMessageBytes`` (on a character boundary), marked when cut.
    public static func clippedMessage(_ message: String) -> String {
        guard message.utf8.count > maxMessageBytes else { return message }
        var clipped = ""
        var bytes = 0
        for character in message {
            let size = character.utf8.count
            if bytes + size > maxMessageBytes - 3 { break }
            clipped.append(character)
            bytes += size
        }
        return clipped + "…"
    }
}
