import Foundation
import Glibc
import TaskmonKit

extension SlurmBackend {
    /// One `squeue` for every element the backend follows, and the reports it implies; says
    /// whether it saw a run end.
    @discardableResult
    func poll() -> Bool {
        let following = state.withLock { state in !state.closed && state.elements.values.contains { $0.phase == .queued || $0.phase == .running } }
        guard following else { return false }
        defer { state.withLock { $0.lastPollEnded = ContinuousClock.now } }
        let answer = command.run("squeue", ["--me", "-h", "-r", "-t", "all", "-O", SlurmQueueRecord.format], timeout: settings.commandTimeout)
        let now = clock.now()
        guard answer.succeeded else {
            // slurmctld down or unreachable: nothing is concluded from silence; polling goes on.
            noteProblem("Slurm does not answer: \(answer.problem)")
            return false
        }
        let records = SlurmQueueRecord.parse(answer.output)
        var reports: [BackendReport] = []
        var vanished: [(RunHandle, String)] = []
        state.withLock { state in
            state.problem = nil
            var seen: Set<RunHandle> = []
            for record in records {
                let id = record.id
                guard let handle = state.byID[id], var element = state.elements[handle] else { continue }
                seen.insert(handle)
                element.missedPolls = 0
                let ended = apply(record, id, handle, &element, now: now, into: &reports)
                state.elements[handle] = element
                if ended { forget(handle, &state) }
            }
            for (handle, element) in state.elements where !seen.contains(handle) && (element.phase == .queued || element.phase == .running) {
                var element = element
                element.missedPolls += 1
                state.elements[handle] = element
                if element.missedPolls >= 2, let id = element.backendID { vanished.append((handle, id)) }
            }
        }
        for report in reports { inbox.post(report) }
        if !vanished.isEmpty { resolveVanished(vanished) }
        return reports.contains { if case .exited = $0 { true } else { false } }
    }

    /// What one record means for its run; returns true when the run is over.
    private func apply(_ record: SlurmQueueRecord, _ id: String, _ handle: RunHandle, _ element: inout SlurmElement, now: Moment, into reports: inout [BackendReport]) -> Bool {
        let meaning = SlurmStateMeaning(state: record.state)
        func reportStart() {
            guard element.startedAt == nil else { return }
            // Slurm's times are whole seconds, cut down: the start is taken at the end of its
            // second, so that taskmon's deadline is never early.
            let start = moment(wall: (record.startTime ?? now.wall.timeIntervalSince1970) + 1, now: now)
            element.startedAt = start
            element.phase = .running
            reports.append(.started(handle, RunDetail(backendID: id, place: Self.place(id, record.nodes)), at: start))
        }
        let signal = record.rawExit & 0x7f
        // Parsed only for a run that ends in this record (most records change nothing).
        var end: Moment { endMoment(record, element, now: now) }
        switch meaning {
        case .waiting, .unknown:
            if meaning == .waiting, record.reason != element.reason {
                element.reason = record.reason
                reports.append(.queued(
                    handle, RunDetail(backendID: id), reason: SlurmReasons.plain(record.reason, partition: settings.partition),
                    lasting: SlurmReasons.isPermanent(record.reason), at: now))
            }
            return false
        case .running:
            if element.startedAt == nil { reportStart() }
            return false
        case .ended:
            if record.state.hasPrefix("FAILED"), record.reason == "JobLaunchFailure", signal == 0 || signal > 31 {
                let message = "Slurm could not launch it on \(record.nodes.isEmpty ? "its node" : record.nodes) (JobLaunchFailure, exit code \(record.rawExit >> 8):\(signal))"
                if element.startedAt == nil {
                    reports.append(.environmentUnavailable(handle, message: message, at: end))
                } else {
                    reports.append(.lost(handle, reason: message, at: end))
                }
                return true
            }
            reportStart()
            let termination: ProcessTermination = signal != 0 ? .signaled(signal) : .exited(record.rawExit >> 8)
            reports.append(.exited(handle, termination, at: max(end, element.startedAt ?? end), outputComplete: true))
            return true
        case .timedOut:
            reportStart()
            // Slurm's limit is taskmon's rounded up to minutes: the end is past taskmon's deadline.
            let deadline = element.startedAt.flatMap { start in element.timeLimit.map { start + $0 } } ?? end
            reports.append(.exited(handle, .signaled(signal == 0 ? SIGKILL : signal), at: max(end, deadline), outputComplete: true))
            return true
        case .cancelled:
            if element.withdrawRequested || element.signaledAt != nil {
                if element.startedAt == nil && record.startTime == nil {
                    reports.append(.launchFailed(handle, LaunchError(message: "canceled while it waited in Slurm's queue"), at: end))
                } else {
                    reportStart()
                    reports.append(.exited(handle, .signaled(signal == 0 ? SIGTERM : signal), at: max(end, element.startedAt ?? end), outputComplete: true))
                }
            } else {
                let ran = record.startTime != nil
                if ran { reportStart() }
                let when = ran ? "while it ran on \(record.nodes)" : "while it waited in the queue"
                reports.append(.canceledOutside(
                    handle, message: "Canceled outside taskmon: Slurm job \(id) was cancelled (scancel) \(when)", at: max(end, element.startedAt ?? end)))
            }
            return true
        case .lost:
            let why = record.reason == "None" || record.reason.isEmpty ? "" : ", \(record.reason)"
            reports.append(.lost(handle, reason: "Slurm: \(record.state)\(why) on \(record.nodes.isEmpty ? "its node" : record.nodes)", at: end))
            return true
        }
    }

    /// When a finished element ended, on the clock's scale: Slurm's end time, but never before
    /// taskmon's own signal when taskmon signalled it (the end was its consequence).
    private func endMoment(_ record: SlurmQueueRecord, _ element: SlurmElement, now: Moment) -> Moment {
        let reported = record.endTime.map { moment(wall: $0, now: now) } ?? now
        guard let signaled = element.signaledAt else { return reported }
        return max(reported, min(signaled, now))
    }

    /// Elements two polls did not list: asked about one by one (`scontrol -o show job`); gone
    /// for good, they were cancelled outside taskmon (waiting) or lost (running).
    private func resolveVanished(_ vanished: [(RunHandle, String)]) {
        var reports: [BackendReport] = []
        for (handle, id) in vanished.prefix(100) {
            let answer = command.run("scontrol", ["-o", "show", "job", id], timeout: settings.commandTimeout)
            let now = clock.now()
            if answer.succeeded, let record = Self.record(fromScontrol: answer.text, id: id) {
                state.withLock { state in
                    guard var element = state.elements[handle] else { return }
                    element.missedPolls = 0
                    let ended = apply(record, id, handle, &element, now: now, into: &reports)
                    state.elements[handle] = element
                    if ended { forget(handle, &state) }
                }
                continue
            }
            guard answer.errors.contains("Invalid job id") || answer.text.isEmpty && answer.succeeded else { continue }
            state.withLock { state in
                guard let element = state.elements[handle] else { return }
                if element.withdrawRequested {
                    reports.append(.launchFailed(handle, LaunchError(message: "canceled while it waited in Slurm's queue"), at: now))
                } else if element.phase == .queued {
                    reports.append(.canceledOutside(handle, message: "Canceled outside taskmon: Slurm job \(id) left Slurm's queue before it started (scancel?)", at: now))
                } else {
                    reports.append(.lost(handle, reason: "Slurm no longer knows job \(id)", at: now))
                }
                forget(handle, &state)
            }
        }
        for report in reports { inbox.post(report) }
    }

    /// The fields of `scontrol -o show job` the poll's records have.
    static func record(fromScontrol text: String, id: String) -> SlurmQueueRecord? {
        guard let line = text.split(separator: "\n").first, let (arrayJobID, index) = split(id) else { return nil }
        var fields: [String: String] = [:]
        for word in line.split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let state = fields["JobState"] else { return nil }
        // ExitCode=E:S → the raw wait status squeue would show.
        let code = (fields["ExitCode"] ?? "0:0").split(separator: ":").compactMap { Int32($0) }
        let raw = code.count == 2 ? (code[1] != 0 ? code[1] : code[0] << 8) : 0
        return SlurmQueueRecord(
            arrayJobID: arrayJobID, index: index, state: state, reason: fields["Reason"] ?? "None", rawExit: raw,
            startText: fields["StartTime"] ?? "N/A", endText: fields["EndTime"] ?? "N/A",
            nodes: fields["NodeList"] ?? "")
    }

    /// What people see as the task's host: the Slurm id and the node.
    static func place(_ id: String, _ nodes: String) -> String {
        nodes.isEmpty || nodes == "(null)" ? "slurm \(id)" : "slurm \(id) on \(nodes)"
    }
}
