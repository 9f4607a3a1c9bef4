import Foundation
import TaskmonKit

/// The text of the task detail's non-stream tabs, built from a `TaskInfo`.
enum DetailText {
    static func lines(for tab: DetailTab, task: TaskInfo, now: Date) -> [String] {
        switch tab {
        case .output, .errors: return []
        case .properties: return properties(task)
        case .result: return result(task)
        case .exception: return exception(task)
        case .cancellation: return cancellation(task)
        case .info: return info(task, now: now)
        }
    }

    static func properties(_ task: TaskInfo) -> [String] {
        guard !task.properties.isEmpty else { return ["No properties."] }
        let names = task.properties.keys.sorted()
        let nameWidth = min(32, max(4, names.map(\.count).max() ?? 4))
        var lines = [pad("NAME", nameWidth) + "  " + pad("TYPE", 6) + "  VALUE"]
        for name in names {
            let value = task.properties[name]!
            let valueLines = value.displayText.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append(pad(name, nameWidth) + "  " + pad(value.typeName, 6) + "  " + (valueLines.first.map(String.init) ?? ""))
            for more in valueLines.dropFirst() {
                lines.append(String(repeating: " ", count: nameWidth + 10) + more)
            }
        }
        if task.status != .completed {
            lines.append("")
            lines.append("(Properties are kept whatever the outcome; this task is \(task.status.name).)")
        }
        return lines
    }

    static func result(_ task: TaskInfo) -> [String] {
        guard let result = task.result else {
            if task.status == .completed { return ["The task completed without setting a result."] }
            if let exception = task.exception {
                return ["No result: the task ended \(task.status.name) with \(exception.type).",
                        "On the client, the result is that exception (see the Exception tab)."]
            }
            return ["No result (the task is \(task.status.name))."]
        }
        var lines = ["Type:     \(result.type)", "Encoding: \(result.encoding)", ""]
        lines += result.display.components(separatedBy: "\n")
        if task.status != .completed {
            lines.append("")
            lines.append("(Only a COMPLETED task's result is guaranteed to be its own value.)")
        }
        return lines
    }

    static func exception(_ task: TaskInfo) -> [String] {
        guard let exception = task.exception else {
            return task.status == .failed || task.status == .environmentError
                ? ["No exception was reported; see the Errors tab and the exit code in Info."]
                : ["No exception (the task is \(task.status.name))."]
        }
        var lines = ["Type:    \(exception.type)"]
        let message = exception.message.components(separatedBy: "\n")
        lines.append("Message: " + (message.first ?? ""))
        lines += message.dropFirst().map { "         " + $0 }
        if !exception.trace.isEmpty {
            lines.append("")
            lines.append("Trace:")
            lines += exception.trace.components(separatedBy: "\n")
        }
        return lines
    }

    static func cancellation(_ task: TaskInfo) -> [String] {
        guard task.cancellationReason != .none || task.cancellationMessage != nil else {
            return ["This task was not canceled."]
        }
        var lines = ["Reason:  \(task.cancellationReason.name)"]
        let message = (task.cancellationMessage ?? "").components(separatedBy: "\n")
        lines.append("Message: " + (message.first ?? ""))
        lines += message.dropFirst().map { "         " + $0 }
        switch task.cancellationReason {
        case .direct: lines += ["", "Canceled by a user's request for this task or its job."]
        case .consequential: lines += ["", "Canceled because another task of the job failed (cancel_on_task_failure)."]
        case .none: break
        }
        return lines
    }

    static func info(_ task: TaskInfo, now: Date) -> [String] {
        var lines: [String] = []
        func add(_ name: String, _ value: String?) {
            guard let value, !value.isEmpty else { return }
            lines.append(pad(name, 14) + value)
        }
        add("Task", "\(task.jobID)/\(task.id) \(task.name)")
        add("Status", "\(task.status.name) (\(task.status.rawValue))")
        // Why it waits (a cluster's pending reason), and where it ran: a Slurm job and node, a host.
        add("Message", task.message)
        add("Host", task.host)
        // A script given to `sh -c` keeps its own lines, indented under the first.
        let command = task.command.map(shellQuoted).joined(separator: " ").components(separatedBy: "\n")
        add("Command", command.first)
        lines += command.dropFirst().map { String(repeating: " ", count: 14) + $0 }
        add("Attempts", String(task.attempts) + (task.attempt.map { " — showing attempt \($0), an earlier one ([ ] switch)" } ?? ""))
        if task.interruptedRetryAttempts > 0 { add("Interrupted", "\(task.interruptedRetryAttempts) time(s), queued again") }
        add("PID", task.pid.map(String.init))
        add("Exit code", task.exitCode.map(String.init))
        add("Signal", task.signal.map(String.init))
        add("Submitted", task.submittedAt.map(timestamp))
        add("Assigned", task.assignedAt.map(timestamp))
        add("Started", task.startedAt.map(timestamp))
        add("Finished", task.finishedAt.map(timestamp))
        if let started = task.startedAt {
            add("Ran for", Formatting.duration((task.finishedAt ?? now).timeIntervalSince(started)))
        }
        add("CPU time", task.cpuTime.map { String(format: "%.2fs", $0) })
        add("Peak RSS", task.peakRSS.map { Formatting.bytes($0) })
        if let progress = task.progress {
            add("Progress", "\(progress.percent)%" + (progress.info.map { " — \($0)" } ?? ""))
        }
        add("Stdout", task.standardOutputSize.map { Formatting.bytes($0) })
        add("Stderr", task.standardErrorSize.map { Formatting.bytes($0) })
        lines += attemptLines(task)
        if !task.warnings.isEmpty {
            lines.append("")
            lines.append("Warnings:")
            lines += task.warnings.map { "  " + $0 }
        }
        return lines
    }

    /// The earlier attempts kept, one line each; `[` and `]` show one.
    private static func attemptLines(_ task: TaskInfo) -> [String] {
        guard !task.attemptHistory.isEmpty else { return [] }
        var lines = ["", "Earlier attempts ([ ] show one):"]
        for earlier in task.attemptHistory {
            var words = ["  \(earlier.attempt)", earlier.status.name]
            if let code = earlier.exitCode { words.append("exit \(code)") }
            if let signal = earlier.signal { words.append("signal \(signal)") }
            if let type = earlier.exceptionType { words.append(type) }
            if let started = earlier.startedAt, let finished = earlier.finishedAt {
                words.append("ran " + Formatting.duration(finished.timeIntervalSince(started)))
            }
            if let finished = earlier.finishedAt { words.append("ended " + timestamp(finished)) }
            lines.append(words.joined(separator: "  "))
        }
        return lines
    }

    private static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = .current
        return formatter.string(from: date)
    }

    private static func shellQuoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

extension DetailText {
    /// One screen row of a text tab: a piece of one of its lines.
    struct Row {
        /// The line it belongs to (an index into the tab's lines).
        var line: Int
        /// Columns of indent before it: wrapped rows sit under their line's value.
        var indent: Int
        var display: DisplayLine
        var glyphs: Range<Int>
        /// The column of the line where this row starts.
        var startColumn: Int
        /// Not wrapping, and the line goes on past the edge.
        var cut: Bool
    }

    /// The lines as rows `width` columns wide: wrapped with a hanging `indent` (or cut).
    static func rows(_ lines: [String], indent: Int, width: Int, wrap: Bool) -> [Row] {
        let hanging = indent < width / 2 ? indent : 0
        var rows: [Row] = []
        rows.reserveCapacity(lines.count)
        for (index, text) in lines.enumerated() {
            let display = TerminalText.displayLine(text, options: .init(keepsColors: false, overlaysCarriageReturns: true),
                                                   maxColumns: wrap ? .max : width)
            guard wrap else {
                rows.append(Row(line: index, indent: 0, display: display, glyphs: 0..<display.glyphs.count, startColumn: 0,
                                cut: display.hasMore))
                continue
            }
            var start = 0
            var column = 0
            var rowWidth = width
            var rowIndent = 0
            repeat {
                var end = start
                var used = 0
                while end < display.glyphs.count, used + display.glyphs[end].width <= rowWidth || end == start {
                    used += display.glyphs[end].width
                    end += 1
                }
                rows.append(Row(line: index, indent: rowIndent, display: display, glyphs: start..<end, startColumn: column, cut: false))
                column += used
                start = end
                rowIndent = hanging
                rowWidth = max(1, width - hanging)
            } while start < display.glyphs.count
        }
        return rows
    }

    /// Where a tab's values start, for the indent of their wrapped rows.
    static func valueColumn(for tab: DetailTab, task: TaskInfo) -> Int {
        switch tab {
        case .properties:
            let nameWidth = min(32, max(4, task.properties.keys.map(\.count).max() ?? 4))
            return nameWidth + 10
        case .exception, .cancellation: return 9
        case .info: return 14
        case .result, .output, .errors: return 0
        }
    }
}
