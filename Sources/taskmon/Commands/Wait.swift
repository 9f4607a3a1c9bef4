import ArgumentParser
import Foundation
import TaskmonKit

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wait until every task of a job is final.",
        discussion: "Exits 0 when the job is done, 124 when --timeout runs out first.")

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("The job.", valueName: "job"))
    var address: TaskAddress

    @Option(help: "Give up after this many seconds.")
    var timeout: Double?

    @Flag(name: .shortAndLong, help: "Print nothing.")
    var quiet = false

    func run() throws {
        try reportingErrors {
            let client = try state.connect()
            let deadline = timeout.map { Date().addingTimeInterval($0) }
            // Subscribe first, then look: a completion between the two cannot be missed.
            var events = try client.subscribe(afterSeq: nil)
            defer { events.cancel() }
            var job = try client.job(address.job)
            while !job.isDone {
                let remaining = deadline.map { $0.timeIntervalSinceNow }
                if let remaining, remaining <= 0 {
                    if !quiet { printError("taskmon: job \(address.job) not done after \(timeout!)s: \(Format.counts(job.statusCounts))") }
                    throw ExitCode(124)
                }
                let message: SubscriptionMessage?
                do {
                    message = try events.next(timeout: .seconds(min(remaining ?? 1, 1)))
                } catch SchedulerClientError.timedOut {
                    continue
                }
                if case .event(let event)? = message {
                    if case .jobCompleted(let info) = event.body, info.id == address.job { job = info }
                } else {
                    // A resync notice, or the stream ended: look again, and follow anew.
                    job = try client.job(address.job)
                    if !job.isDone { events = try client.subscribe(afterSeq: nil) }
                }
            }
            if !quiet { print("job \(job.id) done: \(Format.counts(job.statusCounts))") }
        }
    }
}
