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
            if let timeout, !(timeout.isFinite && timeout >= 0 && timeout <= 1e9) {
                throw CLIError("--timeout must be a number of seconds from 0 to 1e9", code: 2)
            }
            let started = ContinuousClock.now
            // Connecting keeps to --timeout too: a scheduler that never answers is a timeout.
            let connectLimit = timeout.map { min(ClientTimeout.standard, .milliseconds(Int64($0 * 1000))) } ?? ClientTimeout.standard
            let client: SchedulerClient
            do throws(SchedulerClientError) {
                client = try SchedulerClient.connect(state.directory, timeout: connectLimit)
            } catch .timedOut where timeout != nil {
                if !quiet { printError("taskmon: job \(address.job): the scheduler did not answer within \(timeout ?? 0)s") }
                throw ExitCode(124)
            } catch {
                throw CLIError(ClientTimeout.describe(error, timeout: connectLimit))
            }
            let left = timeout.map { max(0, $0 - Double((ContinuousClock.now - started).components.seconds)) }
            guard let job = try client.waitUntilDone(address.job, timeout: left) else {
                if !quiet {
                    let counts = (try? client.job(address.job)).map { Format.counts($0.statusCounts) } ?? ""
                    printError("taskmon: job \(address.job) not done after \(timeout ?? 0)s: \(counts)")
                }
                throw ExitCode(124)
            }
            if !quiet { print("job \(job.id) done: \(Format.counts(job.statusCounts))") }
        }
    }
}
