import Foundation
import TaskmonKit

// taskmon-bench: the scheduler's performance figures, each printed with how it was measured.
// Run from a release build: `swift run -c release taskmon-bench [--quick]`.
// It starts the real `taskmon serve` (found next to this binary) on temp state dirs.

let quick = CommandLine.arguments.contains("--quick")
/// State dirs go in a fresh folder of their own under /var/tmp, not in /tmp: a /tmp that has
/// seen thousands of files come and go can make ext4's inode allocation, which every spooled
/// task pays for, several times slower, and that would measure the folder's history, not
/// taskmon. The folder is removed on every way out (also Ctrl-C), never left where it ran.
let benchRoot: String = {
    var template = Array("/var/tmp/taskmon-bench-XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        FileHandle.standardError.write(Data("taskmon-bench: cannot make a folder under /var/tmp\n".utf8))
        exit(2)
    }
    return String(cString: made)
}()
atexit { try? FileManager.default.removeItem(atPath: benchRoot) }
let stopSignals = [SIGINT, SIGTERM].map { number in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler { exit(130) }  // exit runs the atexit handler above
    source.resume()
    return source
}
let binDir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
let taskmonPath = binDir.appendingPathComponent("taskmon").path
guard FileManager.default.isExecutableFile(atPath: taskmonPath) else {
    FileHandle.standardError.write(Data("taskmon-bench: \(taskmonPath) not found; build it first (swift build -c release)\n".utf8))
    exit(2)
}

/// A `taskmon serve` process on its own temp state dir.
final class ServedScheduler {
    let directory: StateDirectory
    let process: Process
    let client: SchedulerClient

    init(slots: Int) throws {
        var template = Array("\(benchRoot)/XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        directory = StateDirectory(path: path)
        process = Process()
        process.executableURL = URL(fileURLWithPath: taskmonPath)
        process.arguments = ["serve", "--state-dir", path, "--slots", String(slots), "--kill-grace", "1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var connected: SchedulerClient?
        for _ in 0..<500 where connected == nil {
            connected = try? SchedulerClient.connect(directory, clientName: "bench")
            if connected == nil { usleep(10_000) }
        }
        guard let connected else { throw BenchError("scheduler did not start on \(path)") }
        client = connected
    }

    /// Resident and peak resident memory of the scheduler process, in MiB.
    func memory() -> (rss: Double, peak: Double) {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            let kib = Double(line.split(separator: " ").dropFirst().first(where: { !$0.isEmpty }).map(String.init) ?? "") ?? 0
            return kib / 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }

    func waitForJob(_ id: JobID) throws -> JobInfo {
        guard let job = try client.waitUntilDone(id) else { throw BenchError("job \(id) did not finish") }
        return job
    }

    func stop() {
        try? client.shutdown()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory.path)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// Runs a shell command line and returns its wall time, or nil when the tool is missing.
func timeShell(_ command: String, needs tool: String) -> Double? {
    guard ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").contains(where: {
        FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)")
    }) == true else { return nil }
    return seconds {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }
}

func line(_ text: String) {
    print(text)
    fflush(nil)
}

func verdict(_ ok: Bool) -> String { ok ? "PASS" : "MISS" }

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

func ms(_ value: Double) -> String { String(format: "%.2f ms", value * 1000) }

// MARK: 1. Throughput against xargs and GNU parallel

func throughput() throws {
    let count = quick ? 500 : 2000
    line("## \(count) no-op tasks (/bin/true), 2 at a time")
    line("   taskmon: one job of \(count) tasks, --slots 2, from the submit call until the job_completed event;")
    line("   every state change committed to SQLite before it is published.")
    let scheduler = try ServedScheduler(slots: 2)
    defer { scheduler.stop() }
    let spec = JobSpec(name: "noop", tasks: Array(repeating: TaskSpec(command: ["/bin/true"]), count: count))
    let taskmonTime = try seconds {
        let id = try scheduler.client.submit(spec).jobID
        let job = try scheduler.waitForJob(id)
        guard job.count(.completed) == count else { throw BenchError("only \(job.count(.completed)) completed") }
    }
    let xargs = timeShell("seq \(count) | xargs -P2 -n1 /bin/true", needs: "xargs")
    let parallel = timeShell("seq \(count) | parallel -j2 /bin/true", needs: "parallel")
    line(String(format: "   taskmon                    %7.2f s  (%5.0f tasks/s)", taskmonTime, Double(count) / taskmonTime))
    if let xargs {
        line(String(format: "   seq | xargs -P2 -n1 true   %7.2f s  (%5.0f tasks/s)", xargs, Double(count) / xargs))
        line(String(format: "   taskmon / xargs = %.2f×  (goal ≤ 1.5×)  %@", taskmonTime / xargs, verdict(taskmonTime <= 1.5 * xargs)))
    }
    if let parallel {
        line(String(format: "   seq | parallel -j2 true    %7.2f s  (%5.0f tasks/s)", parallel, Double(count) / parallel))
        line(String(format: "   taskmon / parallel = %.2f×  (goal < 1×)  %@", taskmonTime / parallel, verdict(taskmonTime < parallel)))
    } else {
        line("   GNU parallel not installed (apt-get install parallel) — not compared")
    }
}

// MARK: 2. A job of 100,000 tasks

func bigJob() throws {
    let count = quick ? 20_000 : 100_000
    line("## A job of \(count) tasks: submit time and scheduler memory with all of them queued")
    line("   --slots 1, held by a high-priority `sleep` so nothing else starts; time from encoding the spec")
    line("   to the scheduler's answer (parsed, checked, committed); memory is the scheduler's VmRSS / VmHWM.")
    let scheduler = try ServedScheduler(slots: 1)
    defer { scheduler.stop() }
    let blocker = try scheduler.client.submit(JobSpec(name: "hold", priority: .high, tasks: [TaskSpec(command: ["sleep", "600"])])).jobID
    let spec = JobSpec(name: "big", tasks: (0..<count).map { TaskSpec(name: "frame-\($0)", command: ["/bin/echo", "frame", String($0)]) })
    var jobID: JobID = 0
    let submit = try seconds { jobID = try scheduler.client.submit(spec).jobID }
    let job = try scheduler.client.job(jobID)
    let memory = scheduler.memory()
    line(String(format: "   submit: %.2f s (goal < 2 s) %@; queued: %d", submit, verdict(submit < 2), job.count(.submitted)))
    line(String(format: "   scheduler memory: %.0f MiB resident, %.0f MiB peak (goal < 150 MiB) %@", memory.rss, memory.peak, verdict(memory.rss < 150)))
    _ = try scheduler.client.cancel(jobID)
    _ = try scheduler.client.cancel(blocker)
}

// MARK: 3. A task that prints 1 GiB

func bigOutput() throws {
    let megabytes = quick ? 128 : 1024
    line("## A task that prints \(megabytes) MiB to stdout")
    line("   `head -c \(megabytes)M /dev/zero`; spool file size checked; memory is the scheduler's VmHWM (peak).")
    let scheduler = try ServedScheduler(slots: 1)
    defer { scheduler.stop() }
    let before = scheduler.memory()
    var id: JobID = 0
    let elapsed = try seconds {
        id = try scheduler.client.submit(JobSpec(name: "big output", tasks: [TaskSpec(command: ["head", "-c", "\(megabytes)M", "/dev/zero"])])).jobID
        _ = try scheduler.waitForJob(id)
    }
    let chunk = try scheduler.client.readOutput(id, 0, stream: .stdout, offset: 0, length: 0)
    let after = scheduler.memory()
    let spooled = chunk.size == Int64(megabytes) << 20
    line(String(format: "   spooled %lld bytes in %.2f s %@; scheduler peak %.0f MiB (was %.0f MiB before; goal < 100 MiB) %@",
                chunk.size, elapsed, verdict(spooled), after.peak, before.peak, verdict(after.peak < 100)))
}

// MARK: 4. Exit-to-event latency

func latency() throws {
    let count = quick ? 50 : 200
    line("## From a task's exit to its event reaching a subscriber (\(count) tasks, one at a time)")
    line("   Each task is `date +%s%N` (no shell): it prints the wall clock and exits; the subscriber")
    line("   notes the wall clock when the COMPLETED event arrives. Difference = exit → event, plus date's own exit.")
    let scheduler = try ServedScheduler(slots: 1)
    defer { scheduler.stop() }
    let events = try scheduler.client.subscribe(afterSeq: nil)
    defer { events.cancel() }
    let id = try scheduler.client.submit(JobSpec(name: "latency", tasks: Array(repeating: TaskSpec(command: ["date", "+%s%N"]), count: count))).jobID
    var arrivals: [Int: Double] = [:]
    while arrivals.count < count {
        guard case .event(let event)? = try events.next(timeout: .seconds(30)) else { throw BenchError("no event within 30 s") }
        if case .taskStatusChanged(let change) = event.body, change.jobID == id, change.status == .completed {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            arrivals[change.taskID] = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
        }
    }
    var samples: [Double] = []
    for (task, arrival) in arrivals {
        let text = try scheduler.client.task(id, task).standardOutput ?? ""
        guard let nanos = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
        samples.append(arrival - nanos / 1e9)
    }
    samples.sort()
    line("   median \(ms(percentile(samples, 0.5))), p99 \(ms(percentile(samples, 0.99))), max \(ms(samples.last ?? .nan))")
}

line("taskmon-bench\(quick ? " --quick" : "") — \(ProcessInfo.processInfo.activeProcessorCount) cores, \(taskmonPath)")
line("")
/// `scheduler` or `monitor` runs only that half; both by default. `slurm` runs the Slurm figures,
/// `retry` only the monitor's bulk retry.
let sections = Set(CommandLine.arguments.dropFirst().filter { !$0.hasPrefix("-") })
do {
    if sections.isEmpty || sections.contains("scheduler") {
        try cliThroughput()
        line("")
        try throughput()
        line("")
        try bigJob()
        line("")
        try bigOutput()
        line("")
        try latency()
        line("")
    }
    // Needs a Slurm install and root (it starts a test cluster); only when asked for.
    if sections.contains("slurm") {
        try slurmBench()
        line("")
    }
    // The bulk retry alone (part of `monitor`).
    if sections.contains("retry") {
        try markAndRetry()
        line("")
    }
    if sections.isEmpty || sections.contains("monitor") {
        frameCost()
        line("")
        ingestion()
        line("")
        try outputOpen()
        line("")
        try monitorTriage()
        line("")
        try monitorInPty()
    }
} catch {
    FileHandle.standardError.write(Data("taskmon-bench: \(error)\n".utf8))
    exit(1)
}
