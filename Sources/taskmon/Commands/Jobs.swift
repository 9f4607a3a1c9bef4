import ArgumentParser
import Foundation
import TaskmonKit

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List jobs with their task counts.")

    @OptionGroup var state: StateDirOption

    @Flag(help: "Print the jobs as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let jobs = try state.connect().jobs()
            if json {
                print(try Format.json(jobs))
                return
            }
            guard !jobs.isEmpty else {
                print("no jobs yet; submit one with `taskmon submit`")
                return
            }
            let now = Date()
            let rows = jobs.map { job -> [String] in
                let age = Format.duration(now.timeIntervalSince(job.submittedAt))
                let duration = Format.duration((job.finishedAt ?? now).timeIntervalSince(job.submittedAt))
                return [String(job.id), Format.oneLine(job.name, limit: 30), job.isDone ? "done" : "active",
                        "\(job.doneCount)/\(job.taskCount)", "\(job.progress)%", job.priority.name, age, duration,
                        Format.counts(job.statusCounts)]
            }
            print(Format.table(["ID", "NAME", "STATE", "DONE", "PROGRESS", "PRIORITY", "AGE", "DURATION", "TASKS"], rows))
        }
    }
}
