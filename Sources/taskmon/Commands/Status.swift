import ArgumentParser
import Foundation
import TaskmonKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the scheduler: pid, slots, queue, task counts, and whether its database can be written.",
        discussion: "Exits 0 when all is well, 3 when the scheduler cannot commit to its database (a full disk, say).")

    @OptionGroup var state: StateDirOption

    @Flag(help: "Print the status as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let status = try state.connect().status()
            if json {
                print(try Format.json(status))
            } else {
                print("scheduler \(status.pid) on \(status.stateDirectory)")
                print("slots: \(status.busySlots)/\(status.slots) busy, \(status.queued) queued, \(status.jobs) job\(status.jobs == 1 ? "" : "s")")
                if !status.statusCounts.isEmpty {
                    print("tasks: " + status.statusCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
                }
                print("storage: " + (status.storageError.map { "FAILING: \(Format.oneLine($0, limit: 300))" } ?? "ok"))
                if let backend = status.backend {
                    print("backend: \(backend)" + (status.backendProblem.map { ": NOT WORKING: \(Format.oneLine($0, limit: 300))" } ?? ", ok"))
                }
            }
            if status.storageError != nil { throw ExitCode(3) }
        }
    }
}
