import ArgumentParser
import Foundation
import TaskmonKit

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cancel a job's unfinished tasks, or one task.",
        discussion: "Queued tasks are canceled at once; running ones get SIGTERM, then SIGKILL after the grace period.")

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("JOB or JOB/TASK.", valueName: "job[/task]"))
    var address: TaskAddress

    @Option(name: .shortAndLong, help: "Why; recorded in the cancellation message with your user name.")
    var message: String?

    func run() throws {
        try reportingErrors {
            let result = try state.connect().cancel(address.job, task: address.task, message: message)
            print("canceled \(result.canceled) task\(result.canceled == 1 ? "" : "s") of job \(address.job)")
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Queue a finished task again, as a new attempt.")

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("The task.", valueName: "job/task"))
    var address: TaskAddress

    func run() throws {
        try reportingErrors {
            let task = try address.requireTask("retry")
            try state.connect().retry(address.job, task)
            print("task \(address.job)/\(task) queued again")
        }
    }
}
