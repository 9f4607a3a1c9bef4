import ArgumentParser
import Foundation
import TaskmonKit
import TaskmonMonitor

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel jobs' unfinished tasks, or single tasks.",
        discussion: """
        Queued tasks are canceled at once; running ones get SIGTERM, then SIGKILL after the grace period.
        taskmon cancel 3            # every unfinished task of job 3
        taskmon cancel 3/0 3/7 4    # two tasks of job 3, and job 4
        """)

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("Jobs (JOB) and tasks (JOB/TASK).", valueName: "job[/task]"))
    var addresses: [TaskAddress]

    @Option(name: .shortAndLong, help: "Why; recorded in the cancellation message with your user name.")
    var message: String?

    func validate() throws {
        guard !addresses.isEmpty else { throw ValidationError("Missing expected argument '<job[/task]> ...'") }
    }

    func run() throws {
        try reportingErrors {
            let client = try state.connect()
            if addresses.count == 1, let address = addresses.first {
                let result = try client.cancel(address.job, task: address.task, message: message)
                print("canceled \(result.canceled) task\(result.canceled == 1 ? "" : "s") of job \(address.job)")
                return
            }
            var canceled = 0
            let outcome = BulkOutcome.run(addresses) { address throws(SchedulerClientError) in
                let count = try client.cancel(address.job, task: address.task, message: message).canceled
                canceled += count
                return count > 0
            }
            print("canceled \(canceled) task\(canceled == 1 ? "" : "s") (\(outcome.done) of \(addresses.count) addresses had something to cancel)")
            if let error = outcome.firstError { throw CLIError(error) }
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue finished tasks again, as a new attempt.",
        discussion: """
        taskmon retry 3/0 3/4       # two tasks
        taskmon retry 3 --failed    # every FAILED, TIMED_OUT and ENVIRONMENT_ERROR task of job 3
        """)

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("Tasks (JOB/TASK), or jobs (JOB) with --failed.", valueName: "job/task"))
    var addresses: [TaskAddress]

    @Flag(help: "Retry every failed, timed-out and environment-error task of the jobs given.")
    var failed = false

    func validate() throws {
        guard !addresses.isEmpty else { throw ValidationError("Missing expected argument '<job/task> ...'") }
    }

    func run() throws {
        try reportingErrors {
            if !failed, let job = addresses.first(where: { $0.task == nil }) {
                throw CLIError("retry needs JOB/TASK, e.g. \(job.job)/0 (or JOB --failed for every failed task of a job)", code: 2)
            }
            if failed, let task = addresses.first(where: { $0.task != nil }) {
                throw CLIError("--failed takes jobs, not tasks: \(task) (drop the /\(task.task!))", code: 2)
            }
            let client = try state.connect()
            let refs = failed ? [] : addresses.map { TaskRef(jobID: $0.job, taskID: $0.task!) }
            if refs.count == 1 {
                try client.retry(refs[0].jobID, refs[0].taskID)
                print("task \(refs[0].jobID)/\(refs[0].taskID) queued again")
                return
            }
            let directory = state.directory
            // One request for them all (`retry_tasks`): the scheduler finds a job's failed tasks itself.
            let outcome = try BulkOutcome.retry(refs, failedOf: failed ? addresses.map(\.job) : [], client: client,
                                                connect: { () throws(SchedulerClientError) in try SchedulerClient.connect(directory) })
            let total = outcome.done + outcome.unchanged + outcome.failed
            print(total == 0 ? "no failed task to retry" : outcome.text(done: "queued again", of: total == 1 ? "task" : "tasks"))
            if outcome.failed > 0 || (outcome.unchanged > 0 && outcome.done == 0) {
                throw CLIError(outcome.firstError ?? "retry failed", code: 1)
            }
        }
    }
}
