import Foundation
import TaskmonKit

/// Runs the processes the scheduler asks for and reports how each ended.
///
/// The seam between scheduling and execution: ``LocalBackend`` runs host processes here;
/// a cluster backend hands them to a batch system and reports back the same way.
protocol Backend: Sendable {
    /// Starts a process; its end arrives later through the exit stream given at creation.
    func launch(_ request: LaunchRequest) throws(LaunchError) -> Int32
    /// Signals the process's whole group.
    func signal(_ pid: Int32, _ signal: Int32)
}

/// A process that ended: its pid and how.
struct ProcessExit: Sendable {
    var pid: Int32
    var termination: ProcessTermination
}

/// Host processes on this machine, each in its own process group.
final class LocalBackend: Backend {
    private let launcher: ProcessLauncher

    /// - Parameter exits: receives every launched process's end, in the order they are reaped.
    init(exits: AsyncStream<ProcessExit>.Continuation) {
        launcher = ProcessLauncher { pid, termination in
            exits.yield(ProcessExit(pid: pid, termination: termination))
        }
    }

    func launch(_ request: LaunchRequest) throws(LaunchError) -> Int32 {
        try launcher.launch(request)
    }

    func signal(_ pid: Int32, _ signal: Int32) {
        launcher.signalGroup(pid, signal)
    }
}
