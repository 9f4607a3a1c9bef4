import ArgumentParser
import Foundation
import TaskmonKit

struct Submit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Submit a job: a JSON spec file, or one command after --.",
        discussion: """
            taskmon submit job.json
            taskmon submit --wait job.json          # then wait, and show the outcome
            taskmon submit --name build --timeout 60 -- make -j4
            taskmon submit --clean-env -- ./job.sh  # tasks get the minimal base, not this shell's env
            Starts a scheduler in the background when none is running on the state dir.
            The tasks start from this command's environment (see the README: a task's environment).
            """)

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("A job spec file (JSON).", valueName: "spec.json"))
    var specFile: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run, after --.", valueName: "command"))
    var command: [String] = []

    @Option(help: "Job name (command form).")
    var name: String?

    @Option(help: "low, below_normal, normal, above_normal or high (command form).")
    var priority: String?

    @Option(help: "Task timeout in seconds (command form).")
    var timeout: Double?

    @Option(help: "How often an interrupted task is queued again (command form).")
    var maxInterruptedRetries: Int?

    @Option(help: "Run the command this many times, as tasks 0..N-1 (command form).")
    var count: Int = 1

    @Flag(help: "Send no environment: the tasks start from the scheduler's minimal base (PATH, HOME, USER, LOGNAME, SHELL, LANG, TMPDIR), then the spec's env.")
    var cleanEnv = false

    @Flag(help: "Print the result as JSON.")
    var json = false

    @Flag(help: "Wait until the job is done, then show it (as `taskmon show JOB`).")
    var wait = false

    func run() throws {
        try reportingErrors {
            var spec = try makeSpec()
            // Relative paths in a spec mean what they mean where the user stands: the job's
            // cwd is taken here (default: here), and a task's within the job's.
            let here = FileManager.default.currentDirectoryPath
            var environment = spec.environment ?? EnvironmentSpec()
            environment.cwd = Self.absolute(environment.cwd ?? here, in: here)
            spec.environment = environment
            for index in spec.tasks.indices {
                if let cwd = spec.tasks[index].cwd { spec.tasks[index].cwd = Self.absolute(cwd, in: environment.cwd!) }
            }
            Self.attachEnvironment(to: &spec, clean: cleanEnv)
            do {
                try JobSpecLimits.check(spec, source: specFile ?? "command")
            } catch let error as JobSpecError where error.key?.hasPrefix("submitter_env") == true {
                throw CLIError("\(error) (the environment sent for the tasks; --clean-env sends none)", code: 2)
            }
            let client = try state.connectStartingScheduler()
            let result: SubmitResult
            do {
                result = try client.submit(spec)
            } catch SchedulerClientError.timedOut {
                throw CLIError("the scheduler did not answer the submit within \(ClientTimeout.standard.formatted()); the job may or may not be queued: see `taskmon jobs` and `taskmon status`")
            } catch SchedulerClientError.rpc(let error) where error.code == RPCErrorCode.invalidSpec.rawValue {
                let source = specFile ?? "command"
                let prefix = "submitted spec: "
                let message = error.message.hasPrefix(prefix) ? source + ": " + error.message.dropFirst(prefix.count) : error.message
                throw CLIError(message, code: 2)
            }
            if json && !wait {
                print(String(decoding: try Wire.encoder().encode(result), as: UTF8.self))
            } else if !json {
                print("job \(result.jobID) submitted: \(result.taskCount) task\(result.taskCount == 1 ? "" : "s")")
            }
            if wait, let job = try client.waitUntilDone(result.jobID) {
                let shown = try client.job(job.id, includeTasks: true)
                print(json ? try Format.json(shown) : "\n" + JobReport.text(shown))
            }
        }
    }

    /// The tasks start from this command's environment (the README's "A task's environment"),
    /// unless `--clean-env` or the spec's `"inherit_env": false` says not to, or the spec brings
    /// a `submitter_env` of its own. Its PATH gets this taskmon's folder at the end, so that
    /// tasks find `taskmon task` even when it was run by its path.
    static func attachEnvironment(to spec: inout JobSpec, clean: Bool) {
        if clean {
            spec.inheritEnvironment = false
            spec.submitterEnvironment = nil
        }
        guard spec.inheritEnvironment, spec.submitterEnvironment == nil else { return }
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.isEmpty }
        let ownFolder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().path
        let path = environment["PATH"] ?? ""
        if !path.split(separator: ":").contains(Substring(ownFolder)) {
            environment["PATH"] = path.isEmpty ? ownFolder : path + ":" + ownFolder
        }
        spec.submitterEnvironment = environment
    }

    static func absolute(_ path: String, in base: String) -> String {
        path.hasPrefix("/") || path.isEmpty ? path : ((base as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }

    private func makeSpec() throws -> JobSpec {
        if specFile == nil {
            let words = command
            guard !words.isEmpty else { throw CLIError("give a spec file, or -- and a command (see taskmon submit --help)", code: 2) }
            guard count >= 1 else { throw CLIError("--count must be at least 1", code: 2) }
            // A long command makes a long default name: cut it rather than refuse the job.
            let defaultName = words.joined(separator: " ")
            var spec = JobSpec(name: name ?? (defaultName.utf8.count > 200 ? String(defaultName.prefix(120)) + "…" : defaultName), tasks: [])
            if let priority {
                guard let parsed = JobPriority(name: priority) else {
                    throw CLIError("--priority: unknown priority \"\(priority)\"; use low, below_normal, normal, above_normal or high", code: 2)
                }
                spec.priority = parsed
            }
            if let timeout {
                guard timeout.isFinite, timeout > 0, timeout <= JobSpecLimits.maxTaskTimeout else {
                    throw CLIError("--timeout must be a positive number of seconds up to \(Int(JobSpecLimits.maxTaskTimeout)) (a year)", code: 2)
                }
                spec.taskTimeout = timeout
            }
            if let maxInterruptedRetries {
                guard (0...JobSpecLimits.maxInterruptedRetries).contains(maxInterruptedRetries) else {
                    throw CLIError("--max-interrupted-retries must be from 0 to \(JobSpecLimits.maxInterruptedRetries)", code: 2)
                }
                spec.maxInterruptedRetries = maxInterruptedRetries
            }
            guard count <= JobSpecLimits.maxTasks else { throw CLIError("--count must be at most \(JobSpecLimits.maxTasks)", code: 2) }
            spec.tasks = (0..<count).map { _ in TaskSpec(command: words) }
            try JobSpecLimits.check(spec, source: "command")
            return spec
        }
        guard let path = specFile, command.isEmpty else {
            throw CLIError("give a spec file or a command after --, not both", code: 2)
        }
        if name != nil || priority != nil || timeout != nil || maxInterruptedRetries != nil || count != 1 {
            throw CLIError("--name, --priority, --timeout, --max-interrupted-retries and --count go with the command form; put them in the spec file instead", code: 2)
        }
        return try JobSpec.load(path: path)
    }
}
