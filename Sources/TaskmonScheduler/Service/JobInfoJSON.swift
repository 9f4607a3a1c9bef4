import Foundation
import TaskmonKit

/// Writes the answer to `get_job` with its tasks byte for byte as `Wire.encoder()` would,
/// without JSONEncoder's cost for every task.
///
/// `taskmon submit --wait` and `taskmon show` ask for a whole job's tasks; through JSONEncoder
/// each task cost about 20 µs, a twentieth of the scheduler's CPU for a job of short tasks. The
/// job around the tasks and every rare nested value (a result, properties, an exception,
/// progress) still go through JSONEncoder, whose compact output is the same standalone as
/// nested; only the task objects are written here. The tests compare both on every field.
enum JobInfoJSON {
    /// The response line, or JSONEncoder's when the fast path does not apply.
    static func resultLine(id: Int, _ job: JobInfo) throws -> Data {
        guard let tasks = job.tasks, !tasks.isEmpty else { return try Wire.encoder().encode(RPCResponse(id: id, result: job)) }
        let encoder = Wire.encoder()
        var shell = job
        shell.tasks = nil
        // `tasks` sorts right before `warnings`, the result's last key, and the result is the
        // response's last: the shell ends with `"warnings":[…]}}`. The tasks go in front of it.
        let head = Array(try encoder.encode(RPCResponse(id: id, result: shell)))
        let tail = Array(#""warnings":"#.utf8) + Array(try encoder.encode(job.warnings)) + Array("}}".utf8)
        guard head.count > tail.count, Array(head[(head.count - tail.count)...]) == tail else {
            return try encoder.encode(RPCResponse(id: id, result: job))
        }
        var out = [UInt8]()
        out.reserveCapacity(head.count + tasks.count * 700)
        out.append(contentsOf: head[..<(head.count - tail.count)])
        out.append(contentsOf: #""tasks":["#.utf8)
        for (index, task) in tasks.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            try append(task, to: &out, encoder)
        }
        out.append(contentsOf: "],".utf8)
        out.append(contentsOf: tail)
        return Data(out)
    }

    /// How many stored properties `TaskInfo` has; a test compares it with the type, so that a
    /// new field cannot be left out of ``append(_:to:_:)`` unnoticed.
    static let taskInfoFieldCount = 33

    /// One task's object, keys in sorted order; `nil` optionals written as `null` where
    /// `TaskInfo.encode(to:)` uses `encode` and left out where it uses `encodeIfPresent`.
    static func append(_ task: TaskInfo, to out: inout [UInt8], _ encoder: JSONEncoder) throws {
        func key(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\":".utf8)
        }
        func raw(_ text: String) { out.append(contentsOf: text.utf8) }
        func string(_ text: String?) {
            if let text { EventJSON.appendString(&out, text) } else { raw("null") }
        }
        func date(_ value: Date?) { string(value.map(Wire.formatDate)) }
        func strings(_ values: [String]) {
            out.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                EventJSON.appendString(&out, value)
            }
            out.append(UInt8(ascii: "]"))
        }
        func number<N: BinaryInteger>(_ value: N?) { raw(value.map { String($0) } ?? "null") }
        func nested<T: Encodable>(_ value: T?) throws {
            guard let value else { return raw("null") }
            out.append(contentsOf: try encoder.encode(value))
        }

        out.append(UInt8(ascii: "{"))
        key("assigned_at", first: true); date(task.assignedAt)
        if let attempt = task.attempt { key("attempt"); number(attempt) }
        key("attempt_history")
        if task.attemptHistory.isEmpty { raw("[]") } else { try nested(task.attemptHistory) }
        key("attempts"); number(task.attempts)
        key("command"); strings(task.command)
        key("cpu_time"); try nested(task.cpuTime)
        key("exception"); try nested(task.exception)
        key("exit_code"); number(task.exitCode)
        key("finished_at"); date(task.finishedAt)
        if let host = task.host { key("host"); string(host) }
        key("id"); number(task.id)
        key("interrupted_retry_attempts"); number(task.interruptedRetryAttempts)
        key("job_id"); number(task.jobID)
        if let message = task.message { key("message"); string(message) }
        key("name"); string(task.name)
        key("peak_rss"); number(task.peakRSS)
        key("pid"); number(task.pid)
        key("progress"); try nested(task.progress)
        key("properties")
        if task.properties.isEmpty { raw("{}") } else { try nested(task.properties) }
        key("result"); try nested(task.result)
        key("signal"); number(task.signal)
        key("standard_error"); string(task.standardError)
        if let size = task.standardErrorSize { key("standard_error_size"); number(size) }
        if let cut = task.standardErrorTruncated { key("standard_error_truncated"); raw(cut ? "true" : "false") }
        key("standard_output"); string(task.standardOutput)
        if let size = task.standardOutputSize { key("standard_output_size"); number(size) }
        if let cut = task.standardOutputTruncated { key("standard_output_truncated"); raw(cut ? "true" : "false") }
        key("started_at"); date(task.startedAt)
        key("status_value"); number(task.status.rawValue)
        key("submitted_at"); date(task.submittedAt)
        key("task_cancellation_message"); string(task.cancellationMessage)
        key("task_cancellation_reason"); string(task.cancellationReason.name)
        key("task_status"); string(task.status.name)
        key("warnings"); strings(task.warnings)
        out.append(UInt8(ascii: "}"))
    }
}
