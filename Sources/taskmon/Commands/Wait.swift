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
            guard let job = try client.waitUntilDone(address.job, timeout: timeout) else {
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
