import ArgumentParser
import Foundation
import TaskmonKit

/// `--state-dir`, shared by every command that talks to a scheduler.
struct StateDirOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The scheduler's state dir.", valueName: "dir"))
    var stateDir: String?

    var directory: StateDirectory { StateDirectory.resolve(stateDir) }

    /// Connects to the scheduler of the state dir, or fails with one line saying where it looked.
    ///
    /// Every call on the client waits at most `timeout` for its answer (default
    /// ``ClientTimeout/standard``): a scheduler that never answers is an error, not a hang.
    func connect(timeout: Duration = ClientTimeout.standard) throws -> SchedulerClient {
        do {
            return try SchedulerClient.connect(directory, timeout: timeout)
        } catch {
            throw CLIError(ClientTimeout.describe(error, timeout: timeout))
        }
    }

    /// Connects, starting a scheduler in the background first when none runs there.
    func connectStartingScheduler() throws -> SchedulerClient {
        do throws(SchedulerClientError) {
            return try SchedulerClient.connect(directory, timeout: ClientTimeout.standard)
        } catch .notRunning(_, let reason) where !reason.hasPrefix("permission denied") {
            // Nothing listens: start one below.
        } catch {
            throw CLIError(ClientTimeout.describe(error, timeout: ClientTimeout.standard))
        }
        let pid = try BackgroundScheduler.start(directory)
        printError("taskmon: started a scheduler in the background (pid \(pid), state dir \(directory.path), log \(directory.logPath))")
        return try connect()
    }
}

/// How long the CLI waits for one answer.
enum ClientTimeout {
    /// `TASKMON_CLIENT_TIMEOUT` seconds, else 60.
    static var standard: Duration {
        if let text = ProcessInfo.processInfo.environment["TASKMON_CLIENT_TIMEOUT"], let seconds = Double(text),
           seconds.isFinite, seconds > 0, seconds <= 1e6 {
            return .milliseconds(Int64(seconds * 1000))
        }
        return .seconds(60)
    }

    /// The error in one line; a timeout says how long we waited and what to check.
    static func describe(_ error: SchedulerClientError, timeout: Duration) -> String {
        guard case .timedOut = error else { return error.description }
        return "the scheduler did not answer within \(timeout.formatted()) (it may be stuck, or its disk full: see its log); set TASKMON_CLIENT_TIMEOUT to wait longer"
    }
}

/// A failure the user should read as one line; exits with `code`.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    var code: Int32 = 1
    init(_ description: String, code: Int32 = 1) {
        self.description = description
        self.code = code
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Runs a command body, turning the errors users cause into one clear line and an exit code.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        printError("taskmon: \(error.description)")
        throw ExitCode(error.code)
    } catch let error as SchedulerClientError {
        printError("taskmon: \(ClientTimeout.describe(error, timeout: ClientTimeout.standard))")
        throw ExitCode(1)
    } catch let error as JobSpecError {
        printError("taskmon: \(error.description)")
        throw ExitCode(2)
    }
}

/// `JOB` or `JOB/TASK`.
struct TaskAddress: ExpressibleByArgument, CustomStringConvertible {
    var job: JobID
    var task: TaskIndex?

    init?(argument: String) {
        let parts = argument.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let job = JobID(parts[0]), job > 0 else { return nil }
        self.job = job
        if parts.count == 2 {
            guard let task = TaskIndex(parts[1]), task >= 0 else { return nil }
            self.task = task
        }
    }

    var description: String { task.map { "\(job)/\($0)" } ?? "\(job)" }

    /// The task part, or a usage error naming the command.
    func requireTask(_ command: String) throws -> TaskIndex {
        guard let task else { throw CLIError("\(command) needs JOB/TASK, e.g. \(job)/0", code: 2) }
        return task
    }
}
