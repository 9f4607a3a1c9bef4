import ArgumentParser
import Foundation
import TaskmonKit

struct Output: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a task's standard output (or error) whole, as raw bytes.",
        discussion: "Reads by range: a gigabyte of output streams through without being held in memory.")

    @OptionGroup var state: StateDirOption

    @Argument(help: ArgumentHelp("The task.", valueName: "job/task"))
    var address: TaskAddress

    @Flag(help: "Print standard error instead of standard output.")
    var stderr = false

    @Flag(name: [.short, .long], help: "Keep printing as the task writes, until it is finished.")
    var follow = false

    @Option(help: ArgumentHelp("An earlier attempt's output (1 is the first) instead of the current one's.", valueName: "n"))
    var attempt: Int?

    func run() throws {
        try reportingErrors {
            let task = try address.requireTask("output")
            if let attempt, attempt < 1 { throw CLIError("--attempt must be at least 1 (got \(attempt))", code: 2) }
            let client = try state.connect()
            let stream: OutputStreamName = stderr ? .stderr : .stdout
            var offset: Int64 = 0
            let out = FileHandle.standardOutput
            while true {
                let chunk = try client.readOutput(address.job, task, stream: stream, offset: offset, length: 1 << 20, attempt: attempt)
                if !chunk.data.isEmpty {
                    out.write(chunk.data)
                    offset += Int64(chunk.data.count)
                    continue
                }
                if !follow || chunk.complete { break }
                usleep(100_000)
            }
        }
    }
}
