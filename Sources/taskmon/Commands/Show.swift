import ArgumentParser
import Foundation
import TaskmonKit

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a job and its tasks, or one task with everything it returned.",
        discussion: """
            taskmon show 3              # job 3 and its tasks
            taskmon show 3/0            # task 0 of job 3
            taskmon show 3/0 --attempt 1  # its first attempt, as kept when it was retried
            """)

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("JOB or JOB/TASK.", valueName: "job[/task]"))
    var address: TaskAddress

    @Flag(help: "Print JSON (the task shape of the protocol).")
    var json = false

    @Option(help: ArgumentHelp("An earlier attempt of the task (1 is the first) instead of the current one.", valueName: "n"))
    var attempt: Int?

    func run() throws {
        try reportingErrors {
            let client = try state.connect()
            if attempt != nil && address.task == nil { throw CLIError("--attempt needs JOB/TASK, e.g. \(address.job)/0", code: 2) }
            if let attempt, attempt < 1 { throw CLIError("--attempt must be at least 1 (got \(attempt))", code: 2) }
            if let task = address.task {
                let info = try client.task(address.job, task, attempt: attempt)
                print(json ? try Format.json(info) : TaskReport.text(info))
            } else {
                let job = try client.job(address.job, includeTasks: true)
                let environment = StateDirectory(path: client.hello.stateDirectory)
                print(json ? try Format.json(job) : JobReport.text(job, environmentFiles: JobReport.environmentFiles(job.id, environment)))
            }
        }
    }
}

/// `taskmon show JOB` as text.
enum JobReport {
    /// The job's environment output files that exist (setup and teardown, run by its warm hosts or
    /// as its environment commands), with their sizes.
    static func environmentFiles(_ id: JobID, _ directory: StateDirectory) -> [(path: String, size: Int64)] {
        var files: [(String, Int64)] = []
        for name in ["setup.stdout", "setup.stderr", "teardown.stdout", "teardown.stderr"] {
            let path = directory.jobOutputPath(id) + "/" + name
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0 { files.append((path, Int64(info.st_size))) }
        }
        return files
    }

    static func text(_ job: JobInfo, environmentFiles: [(path: String, size: Int64)] = []) -> String {
        let now = Date()
        var lines = ["job \(job.id): \(Format.oneLine(job.name, limit: 200))"]
        if let description = job.description { lines.append("description: \(Format.oneLine(description, limit: 200))") }
        lines.append("state: \(job.isDone ? "done" : "active"), \(job.doneCount)/\(job.taskCount) tasks final (\(job.progress)%)")
        lines.append("counts: \(Format.counts(job.statusCounts))")
        lines.append("priority: \(job.priority.name), task timeout: \(job.taskTimeout.map { "\($0)s" } ?? "none"), max interrupted retries: \(job.maxInterruptedRetries), cancel on task failure: \(job.cancelOnTaskFailure)")
        if let resources = job.resources {
            let cores = resources.cores.map { "\($0) core\($0 == 1 ? "" : "s")" } ?? "1 core"
            lines.append("resources per task: \(cores)\(resources.memoryMB.map { ", \($0) MB" } ?? "") (slots count cores)")
        }
        lines.append("submitted: \(Format.time(job.submittedAt)), finished: \(Format.time(job.finishedAt))")
        for warning in job.warnings { lines.append("warning: \(Format.oneLine(warning, limit: 300))") }
        for file in environmentFiles { lines.append("environment output: \(file.path) (\(file.size) bytes)") }
        lines.append("")
        let rows = (job.tasks ?? []).map { task -> [String] in
            let duration = task.startedAt.map { Format.duration((task.finishedAt ?? now).timeIntervalSince($0)) } ?? "-"
            return [String(task.id), Format.oneLine(task.name, limit: 30), task.status.name, String(task.attempts),
                    task.pid.map(String.init) ?? "-", duration, Format.oneLine(Format.note(task))]
        }
        lines.append(Format.table(["ID", "NAME", "STATUS", "ATTEMPTS", "PID", "DURATION", "NOTE"], rows))
        return lines.joined(separator: "\n")
    }
}

/// `taskmon show JOB/TASK` as text: every way the task returned data.
enum TaskReport {
    static func text(_ task: TaskInfo) -> String {
        Format.visible(rawText(task))
    }

    private static func rawText(_ task: TaskInfo) -> String {
        var lines = ["task \(task.jobID)/\(task.id): \(Format.oneLine(task.name, limit: 200))"]
        lines.append("status: \(task.status.name) (\(task.status.rawValue))")
        lines.append("command: \(task.command.map(shellQuoted).joined(separator: " "))")
        if let attempt = task.attempt { lines.append("showing attempt \(attempt) of \(task.attempts) (an earlier one, as it was kept)") }
        lines.append("attempts: \(task.attempts), interrupted retry attempts: \(task.interruptedRetryAttempts)")
        lines.append("pid: \(task.pid.map(String.init) ?? "-"), exit code: \(task.exitCode.map(String.init) ?? "-"), signal: \(task.signal.map(String.init) ?? "-")")
        if let host = task.host { lines.append("host: \(host)") }
        if let usage = resources(task.peakRSS, task.cpuTime) { lines.append(usage) }
        lines.append("submitted: \(Format.time(task.submittedAt))  assigned: \(Format.time(task.assignedAt))")
        lines.append("started: \(Format.time(task.startedAt))  finished: \(Format.time(task.finishedAt))")
        if let progress = task.progress { lines.append("progress: \(progress.percent)%\(progress.info.map { " \($0)" } ?? "")") }
        if let result = task.result { lines.append("result (\(result.type)): \(result.display)") }
        if !task.properties.isEmpty {
            lines.append("properties:")
            for (name, value) in task.properties.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(name) (\(value.typeName)): \(value.displayText)")
            }
        }
        if let exception = task.exception {
            lines.append("exception: \(exception.type): \(exception.message)")
            if !exception.trace.isEmpty { lines.append(indent(exception.trace)) }
        }
        if task.status == .canceled || task.cancellationReason != .none {
            lines.append("cancellation: \(task.cancellationReason.name): \(task.cancellationMessage ?? "")")
        }
        for warning in task.warnings { lines.append("warning: \(warning)") }
        if !task.attemptHistory.isEmpty {
            lines.append("earlier attempts (`--attempt N` shows one):")
            let rows = task.attemptHistory.map { earlier -> [String] in
                let duration = earlier.startedAt.flatMap { start in earlier.finishedAt.map { Format.duration($0.timeIntervalSince(start)) } } ?? "-"
                let ending = earlier.exitCode.map { "exit \($0)" } ?? earlier.signal.map { "signal \($0)" } ?? "-"
                return ["  \(earlier.attempt)", earlier.status.name, Format.time(earlier.startedAt), duration, ending,
                        earlier.peakRSS.map(Format.bytes) ?? "-", earlier.cpuTime.map(cpuSeconds) ?? "-",
                        Format.oneLine(earlier.exceptionType ?? "", limit: 40)]
            }
            lines.append(Format.table(["  #", "STATUS", "STARTED", "DURATION", "END", "PEAK RSS", "CPU", "EXCEPTION"], rows))
        }
        lines.append(section("standard output", task.standardOutput, truncated: task.standardOutputTruncated, size: task.standardOutputSize))
        lines.append(section("standard error", task.standardError, truncated: task.standardErrorTruncated, size: task.standardErrorSize))
        return lines.joined(separator: "\n")
    }

    /// `peak RSS: 51.2 MiB, CPU time: 1.20 s` once the attempt's process has ended.
    private static func resources(_ peakRSS: Int64?, _ cpuTime: Double?) -> String? {
        guard peakRSS != nil || cpuTime != nil else { return nil }
        return "peak RSS: \(peakRSS.map(Format.bytes) ?? "-"), CPU time: \(cpuTime.map(cpuSeconds) ?? "-")"
    }

    private static func cpuSeconds(_ seconds: Double) -> String { String(format: "%.2f s", seconds) }

    private static func section(_ title: String, _ text: String?, truncated: Bool?, size: Int64?) -> String {
        guard let text, !text.isEmpty else { return "\(title): (empty)" }
        var header = "\(title):"
        if truncated == true { header += " (first part of \(size ?? 0) bytes; `taskmon output` prints it whole)" }
        return header + "\n" + indent(text.hasSuffix("\n") ? String(text.dropLast()) : text)
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(separator: "\n")
    }

    private static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,@%+".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
