import CTaskmonPOSIX
import Foundation
import Synchronization
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

/// Host processes on this machine, each in its own process group, their output pumped from
/// pipes into spool files.
///
/// A process is reported ended once it has exited *and* its output is all in its files, so
/// that the scheduler reads a task's complete output when it decides its status. A
/// background grandchild may keep a pipe open for ever: after `outputGrace` the exit is
/// reported anyway, and the pump goes on writing whatever still comes.
final class LocalBackend: Backend {
    private struct Tracking {
        var openStreams = 2
        var termination: ProcessTermination?
        var reported = false
    }

    private let exits: AsyncStream<ProcessExit>.Continuation
    private let tracking = Mutex<[Int32: Tracking]>([:])
    private let streamOwners = Mutex<[UInt64: Int32]>([:])
    private let outputGrace: DispatchTimeInterval
    private let launcher: ProcessLauncher
    private let pump: OutputPump

    /// - Parameter exits: receives every launched process's end, in the order they complete.
    init(exits: AsyncStream<ProcessExit>.Continuation, outputGrace: DispatchTimeInterval = .milliseconds(200)) {
        self.exits = exits
        self.outputGrace = outputGrace
        // The callbacks reach the backend through boxes set right below, as `self` is not
        // available to closures before every property is set.
        let exitHandler = Mutex<(@Sendable (Int32, ProcessTermination) -> Void)?>(nil)
        let closeHandler = Mutex<(@Sendable (UInt64) -> Void)?>(nil)
        launcher = ProcessLauncher { pid, termination in exitHandler.withLock { $0 }?(pid, termination) }
        pump = OutputPump { token in closeHandler.withLock { $0 }?(token) }
        exitHandler.withLock { $0 = { [weak self] pid, termination in self?.exited(pid, termination) } }
        closeHandler.withLock { $0 = { [weak self] token in self?.streamClosed(token) } }
    }

    func launch(_ request: LaunchRequest) throws(LaunchError) -> Int32 {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard ctaskmon_pipe_cloexec(&out) == 0 else { throw LaunchError(message: "cannot make a pipe: \(String(cString: strerror(errno)))") }
        guard ctaskmon_pipe_cloexec(&err) == 0 else {
            out.forEach { close($0) }
            throw LaunchError(message: "cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        var piped = request
        piped.stdoutDescriptor = out[1]
        piped.stderrDescriptor = err[1]
        let pid: Int32
        do {
            pid = try launcher.launch(piped)
        } catch {
            (out + err).forEach { close($0) }
            throw error
        }
        close(out[1])
        close(err[1])
        // The exit may already have been seen; keep what it recorded.
        tracking.withLock { if $0[pid] == nil { $0[pid] = Tracking() } }
        for (pipe, path) in [(out[0], request.stdoutPath), (err[0], request.stderrPath)] {
            // Under the lock, so that a stream closing at once finds its owner.
            streamOwners.withLock { owners in owners[pump.add(pipe: pipe, path: path)] = pid }
        }
        return pid
    }

    func signal(_ pid: Int32, _ signal: Int32) {
        launcher.signalGroup(pid, signal)
    }

    private func exited(_ pid: Int32, _ termination: ProcessTermination) {
        let ready = tracking.withLock { tracking -> Bool in
            var entry = tracking[pid] ?? Tracking()
            entry.termination = termination
            tracking[pid] = entry
            return entry.openStreams == 0
        }
        if ready {
            report(pid)
        } else {
            DispatchQueue.global().asyncAfter(deadline: .now() + outputGrace) { [weak self] in self?.report(pid) }
        }
    }

    private func streamClosed(_ token: UInt64) {
        guard let pid = streamOwners.withLock({ $0.removeValue(forKey: token) }) else { return }
        let ready = tracking.withLock { tracking -> Bool in
            guard var entry = tracking[pid] else { return false }
            entry.openStreams -= 1
            // Reported already (after the grace period): nothing left to wait for.
            tracking[pid] = entry.openStreams == 0 && entry.reported ? nil : entry
            return entry.openStreams == 0 && entry.termination != nil
        }
        if ready { report(pid) }
    }

    /// Hands the exit to the scheduler, once.
    private func report(_ pid: Int32) {
        let termination = tracking.withLock { tracking -> ProcessTermination? in
            guard var entry = tracking[pid], let termination = entry.termination, !entry.reported else { return nil }
            entry.reported = true
            tracking[pid] = entry.openStreams == 0 ? nil : entry
            return termination
        }
        if let termination { exits.yield(ProcessExit(pid: pid, termination: termination)) }
    }
}
