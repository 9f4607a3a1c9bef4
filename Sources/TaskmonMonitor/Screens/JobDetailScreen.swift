import Foundation
import TaskmonKit

/// One job in full: description, every option, counts, pace, warnings, and the output of its
/// environment's setup and teardown.
struct JobDetailScreen {
    let jobID: JobID
    /// First row shown.
    var top = 0
    private(set) var bodyHeight = 1
    /// Where the job's spool files are, when the scheduler is on this machine.
    var stateDirectory: StateDirectory?
    private var environment: (lines: [String], at: Date)?

    init(jobID: JobID, stateDirectory: StateDirectory? = nil) {
        self.jobID = jobID
        self.stateDirectory = stateDirectory
    }

    mutating func draw(_ canvas: inout Canvas, model: MonitorModel, context: RenderContext) {
        guard let job = model.jobs[jobID] else {
            Chrome.drawTitle(&canvas, "Job \(jobID)", detail: "not known to the scheduler", context: context)
            return
        }
        let status = job.summaryStatus
        var x = Chrome.drawTitle(&canvas, "Job \(jobID) \(job.info.name) › detail", context: context)
        let state = job.info.finishedAt == nil ? "active" : (job.info.warnings.isEmpty ? "done" : "done with warnings")
        x += canvas.put("  \(context.symbol(status)) \(state)", x: x, y: 1, maxWidth: canvas.width - x,
                        style: job.info.warnings.isEmpty ? context.style(status).adding(.bold) : context.style(.warning).adding(.bold))
        if environment == nil || context.now.timeIntervalSince(environment!.at) > 2 {
            environment = (stateDirectory.map { EnvironmentOutput.lines(jobID, in: $0) } ?? [], context.now)
        }
        let lines = Self.lines(job, now: context.now) + (environment?.lines ?? [])
        let top = 2
        bodyHeight = max(1, canvas.height - top - 1)
        let rows = DetailText.rows(lines, indent: 22, width: max(1, canvas.width - 2), wrap: true)
        self.top = min(self.top, max(0, rows.count - bodyHeight))
        var y = top
        for row in rows.dropFirst(self.top) where y < canvas.height - 1 {
            canvas.put(row.display, glyphRange: row.glyphs, x: 1 + row.indent, y: y, maxWidth: canvas.width - 2 - row.indent,
                       style: lines[row.line].hasSuffix(":") && row.indent == 0 ? context.style(.text).adding(.bold) : context.style(.text))
            y += 1
        }
    }

    /// The job's facts as text lines.
    static func lines(_ job: JobRecord, now: Date) -> [String] {
        let info = job.info
        func field(_ name: String, _ value: String) -> String {
            name.padding(toLength: 22, withPad: " ", startingAt: 0) + value
        }
        var lines = [
            field("Job", "\(info.id) \(info.name)"),
            field("Description", info.description ?? "—"),
            field("Priority", info.priority.name),
            field("Task timeout", info.taskTimeout.map { Formatting.duration($0) } ?? "none"),
            field("Interrupted retries", "up to \(info.maxInterruptedRetries)"),
            field("Cancel on failure", info.cancelOnTaskFailure ? "yes: a failed task cancels the rest" : "no"),
            field("Backend", info.backend ?? "local"),
            field("Submitted", Formatting.clock(info.submittedAt, now: now) + " (\(Formatting.age(since: info.submittedAt, now: now)) ago)"),
            field("Finished", info.finishedAt.map { Formatting.clock($0, now: now) } ?? "not yet"),
            field("Run time", Formatting.duration(job.duration(now: now)).isEmpty ? "not started" : Formatting.duration(job.duration(now: now))),
            field("Progress", "\(job.doneCount)/\(job.taskCount) tasks final, \(job.progress)%"),
        ]
        if let pace = JobPace(job, now: now) { lines.append(field("Pace", pace.text)) }
        let counts = StatusBar.order.filter { job.counts[$0.rawValue] > 0 }.map { "\($0.name) \(job.counts[$0.rawValue])" }
        lines.append(field("Tasks", counts.isEmpty ? "none" : counts.joined(separator: ", ")))
        if let setup = info.setup { lines.append(field("Environment setup", setup.summary)) }
        if let teardown = info.teardown { lines.append(field("Environment teardown", teardown.summary)) }
        lines.append("")
        if info.warnings.isEmpty {
            lines.append("Warnings: none")
        } else {
            lines.append("Warnings:")
            lines += info.warnings.map { "  " + $0 }
        }
        return lines
    }
}
