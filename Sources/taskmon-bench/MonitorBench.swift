import CTaskmonPOSIX
import Foundation
import TaskmonKit
import TaskmonMonitor

// The monitor's figures: frame cost, event ingestion, and the real binary in a pty (idle,
// under a stream of status changes, start-up).

/// A job of `count` tasks in a mix of statuses, as `get_job` pages would bring it.
func syntheticJob(_ id: JobID, tasks count: Int) -> (JobInfo, [JobInfo]) {
    let statuses: [TaskStatus] = [.completed, .completed, .completed, .running, .failed, .submitted, .submitted, .canceled]
    var counts: [String: Int] = [:]
    let start = Date().addingTimeInterval(-600)
    var tasks: [TaskInfo] = []
    tasks.reserveCapacity(count)
    for index in 0..<count {
        let status = statuses[index % statuses.count]
        counts[status.name, default: 0] += 1
        var task = TaskInfo(jobID: id, id: index, name: "frame-\(index)", status: status, attempts: status == .submitted ? 0 : 1)
        if status != .submitted {
            task.startedAt = start.addingTimeInterval(Double(index % 500))
            task.pid = 10_000 + Int32(index % 30_000)
        }
        if status.isFinished { task.finishedAt = task.startedAt?.addingTimeInterval(3.5) }
        if status == .running { task.progress = TaskProgress(percent: index % 100, info: "step \(index % 7)") }
        if status == .failed { task.exitCode = 3 }
        tasks.append(task)
    }
    let job = JobInfo(id: id, name: "render-\(count)", maxInterruptedRetries: 3, cancelOnTaskFailure: false,
                      submittedAt: start, taskCount: count, statusCounts: counts)
    var page = job
    page.tasks = tasks
    page.lastSeq = 1
    return (job, [page])
}

/// A controller on the tasks screen of a synthetic job, with no scheduler behind it.
func controllerOnTasksScreen(tasks count: Int) -> MonitorController {
    let (job, pages) = syntheticJob(1, tasks: count)
    let controller = MonitorController(theme: Theme.builtinDefault.resolved(for: .twoFiftySix), symbols: .unicode, requests: nil)
    let hello = HelloResult(version: Wire.protocolVersion, schedulerPID: 1, stateDirectory: "/tmp", slots: 8)
    controller.receive([.connected(hello, JobList(jobs: [job], lastSeq: 1))], now: Date())
    controller.handle(.enter, now: Date())
    controller.receive([.tasksLoaded(1, pages)], now: Date())
    return controller
}

func frameCost() {
    line("## One frame of the tasks screen at 200×60 (model → Canvas; Terminal then sends only the changes)")
    line("   median and p99 of 200 frames, the selection moving one row per frame so every frame differs.")
    var medians: [Int: Double] = [:]
    for count in [100, 100_000] {
        let controller = controllerOnTasksScreen(tasks: count)
        var canvas = Canvas(width: 200, height: 60)
        _ = controller.render(into: &canvas, now: Date())
        var samples: [Double] = []
        for frame in 0..<200 {
            controller.handle(frame % 100 < 50 ? .down : .up, now: Date())
            let now = Date()
            samples.append(seconds { _ = controller.render(into: &canvas, now: now) })
        }
        samples.sort()
        medians[count] = percentile(samples, 0.5)
        line("   \(String(count).padding(toLength: 7, withPad: " ", startingAt: 0)) tasks: median \(ms(percentile(samples, 0.5))), p99 \(ms(percentile(samples, 0.99)))")
    }
    let big = medians[100_000] ?? .nan, small = medians[100] ?? .nan
    line("   goal: median < 2 ms, 100,000 no more than 2× 100: \(verdict(big < 0.002 && big <= 2 * small)) (ratio \(String(format: "%.2f", big / small)))")
}

func ingestion() {
    let count = quick ? 200_000 : 1_000_000
    line("## Model ingestion: \(count) task status changes applied to a loaded 100,000-task job")
    let (job, pages) = syntheticJob(1, tasks: 100_000)
    var model = MonitorModel()
    model.connected(hello: HelloResult(version: 1, schedulerPID: 1, stateDirectory: "/tmp", slots: 8), jobs: JobList(jobs: [job], lastSeq: 1))
    model.installTasks(1, pages: pages)
    let cycle: [TaskStatus] = [.submitted, .assigned, .running, .completed]
    let time = Date()
    var events: [SchedulerEvent] = []
    events.reserveCapacity(count)
    for seq in 0..<count {
        let task = seq % 100_000
        let step = (seq / 100_000) % 4
        events.append(SchedulerEvent(seq: UInt64(seq + 2), time: time, body: .taskStatusChanged(TaskStatusChange(
            jobID: 1, taskID: task, name: "frame-\(task)", previous: cycle[(step + 3) % 4], status: cycle[step], attempts: 1))))
    }
    let elapsed = seconds { model.apply(events) }
    let rate = Double(count) / elapsed
    line(String(format: "   %.0f events/s (%.2f s); goal ≥ 200,000/s: %@", rate, elapsed, verdict(rate >= 200_000)))
}

func outputOpen() throws {
    line("## Opening the Output tab of a task with 1 GiB of stdout and jumping to its end")
    line("   Through the scheduler's read_output, as the monitor does; memory is the process's RSS growth.")
    let scheduler = try ServedScheduler(slots: 2)
    defer { scheduler.stop() }
    let id = try scheduler.client.submit(JobSpec(name: "gigabyte", tasks: [TaskSpec(command: [
        "sh", "-c", "yes 'a line of output, with some words in it, as a build log would have' | head -c 1073741824"])])).jobID
    _ = try scheduler.waitForJob(id)
    var samples: [OutputOpenMeasurement] = []
    for _ in 0..<5 {
        let source = SchedulerOutputSource(client: scheduler.client, job: id, task: 0, stream: .stdout)
        samples.append(OutputBenchmark.measureOpenAndJumpToEnd(source))
    }
    let times = samples.map { Double($0.elapsed.components.seconds) + Double($0.elapsed.components.attoseconds) / 1e18 }.sorted()
    let growth = samples.map(\.memoryGrowthBytes).max() ?? 0
    let first = samples[0]
    line("   \(OutputDocument.sizeText(first.streamSize)): median \(ms(percentile(times, 0.5))), \(first.reads) reads, \(first.bytesRead / 1024) KiB read, memory growth ≤ \(growth / 1024) KiB")
    line("   goal < 100 ms and < 50 MB: \(verdict(percentile(times, 0.5) < 0.1 && growth < 50 << 20))")
}

// MARK: The real monitor in a pty

/// `taskmon` (the monitor) running in a pseudo-terminal whose output we count.
final class PtyMonitor {
    let master: Int32
    let pid: pid_t
    private(set) var bytes = 0
    private(set) var output = Data()
    private var lastRead = ContinuousClock.now
    /// Bursts of output separated by more than 8 ms: frames, near enough.
    private(set) var frames = 0
    let started = ContinuousClock.now

    init(stateDirectory: StateDirectory, columns: Int = 120, rows: Int = 40) throws {
        var name = [CChar](repeating: 0, count: 128)
        master = ctaskmon_open_pty(&name, Int32(name.count))
        guard master >= 0 else { throw BenchError("cannot open a pty: \(String(cString: strerror(errno)))") }
        let slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        _ = ctaskmon_set_window_size(master, Int32(rows), Int32(columns))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // In a new session, the first terminal opened becomes the controlling one.
        posix_spawn_file_actions_addopen(&actions, 0, slavePath, O_RDWR, 0)
        posix_spawn_file_actions_adddup2(&actions, 0, 1)
        posix_spawn_file_actions_adddup2(&actions, 0, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, ctaskmon_posix_spawn_setsid_flag())
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "tmux-256color"
        environment["LANG"] = "C.UTF-8"
        environment["TASKMON_STATE_DIR"] = stateDirectory.path
        environment["NO_COLOR"] = nil
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        let argv = [strdup(taskmonPath), nil]
        defer { (env + argv).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, taskmonPath, &actions, &attributes, argv, env)
        guard result == 0 else { throw BenchError("cannot start the monitor: \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Reads output for `duration`; returns the bytes read in that time.
    @discardableResult
    func pump(for duration: Duration, until: ((Data) -> Bool)? = nil) -> Int {
        let end = ContinuousClock.now + duration
        var read = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < end {
            var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
            let left = end - ContinuousClock.now
            let timeout = Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1
            guard poll(&descriptor, 1, timeout) > 0 else { continue }
            let count = Glibc.read(master, &buffer, buffer.count)
            guard count > 0 else { break }
            let now = ContinuousClock.now
            if now - lastRead > .milliseconds(8) { frames += 1 }
            lastRead = now
            read += count
            bytes += count
            output.append(contentsOf: buffer[0..<count])
            if output.count > 1 << 20 { output.removeFirst(output.count - (1 << 19)) }
            if let until, until(output) { break }
        }
        return read
    }

    /// CPU seconds the monitor has used so far (user + system).
    func cpuSeconds() -> Double { processCPUSeconds(pid) }

    func stop() {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        close(master)
    }
}

func monitorInPty() throws {
    line("## The real monitor in a pty (120×40, TERM=tmux-256color)")
    let scheduler = try ServedScheduler(slots: 4)
    defer { scheduler.stop() }
    // Start-up with 10,000 tasks in the scheduler.
    let ten = try scheduler.client.submit(JobSpec(name: "ten-thousand", tasks: Array(repeating: TaskSpec(command: ["/bin/true"]), count: 10_000))).jobID
    _ = try scheduler.waitForJob(ten)
    var startups: [Double] = []
    for _ in 0..<(quick ? 3 : 7) {
        let monitor = try PtyMonitor(stateDirectory: scheduler.directory)
        monitor.pump(for: .seconds(10)) { $0.range(of: Data("ten-thousand".utf8)) != nil }
        let elapsed = ContinuousClock.now - monitor.started
        startups.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        monitor.stop()
    }
    startups.sort()
    line("   start → first frame showing the job (10,000 tasks in the scheduler): median \(ms(percentile(startups, 0.5))), max \(ms(startups.last ?? .nan)); goal < 200 ms: \(verdict(percentile(startups, 0.5) < 0.2))")

    let monitor = try PtyMonitor(stateDirectory: scheduler.directory)
    defer { monitor.stop() }
    monitor.pump(for: .seconds(2))
    let idleSeconds = quick ? 5 : 10
    let cpuBefore = monitor.cpuSeconds()
    let idleBytes = monitor.pump(for: .seconds(Int64(idleSeconds)))
    let idleCPU = monitor.cpuSeconds() - cpuBefore
    line("   idle \(idleSeconds) s: \(idleBytes) bytes written, \(String(format: "%.2f", idleCPU)) s CPU; goal: 0 bytes: \(verdict(idleBytes == 0))")

    // A stream of status changes: many short tasks on 4 slots.
    let events = try scheduler.client.subscribe(afterSeq: nil)
    defer { events.cancel() }
    let load = try scheduler.client.submit(JobSpec(name: "churn", tasks: Array(repeating: TaskSpec(command: ["/bin/true"]), count: quick ? 2000 : 5000))).jobID
    let framesBefore = monitor.frames
    let cpuLoaded = monitor.cpuSeconds()
    let window = 5
    let loadedBytes = monitor.pump(for: .seconds(Int64(window)))
    let loadedCPU = monitor.cpuSeconds() - cpuLoaded
    var changes = 0
    while let message = try? events.next(timeout: .milliseconds(1)) {
        if case .event(let event) = message, case .taskStatusChanged = event.body { changes += 1 }
    }
    let fps = Double(monitor.frames - framesBefore) / Double(window)
    line(String(format: "   under load: ~%.0f status changes/s → %.1f frames/s, %.0f bytes/s to the terminal, %.0f%% of a core; goal ≤ ~30 frames/s: %@",
                Double(changes) / Double(window), fps, Double(loadedBytes) / Double(window), loadedCPU / Double(window) * 100, verdict(fps <= 33)))
    _ = try? scheduler.client.cancel(load)
}

// MARK: Triage at scale (issue 12)

/// Waits on `link` (a real connection) until `done` holds for the controller, feeding it
/// what arrives; returns the seconds it took, or nil after `timeout`.
func pump(_ link: SchedulerLink, _ controller: MonitorController, timeout: Double = 120,
          until done: () -> Bool) -> Double? {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < .seconds(timeout) {
        let messages = link.drain()
        if !messages.isEmpty { controller.receive(messages, now: Date()) }
        if done() { return seconds(since: start) }
        usleep(500)
    }
    return nil
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

/// The monitor's view of a served scheduler: a controller fed by a real `SchedulerLink`.
func linkedController(_ scheduler: ServedScheduler) throws -> (SchedulerLink, MonitorController) {
    let link = SchedulerLink(stateDirectory: scheduler.directory, wake: {})
    let box = LinkBox(link)
    let controller = MonitorController(theme: Theme.builtinDefault.resolved(for: .twoFiftySix), symbols: .unicode,
                                       requests: { box.link.perform($0) })
    link.start()
    guard pump(link, controller, until: { controller.model.connection == .connected }) != nil else {
        throw BenchError("the monitor's link did not connect")
    }
    return (link, controller)
}

final class LinkBox: Sendable {
    let link: SchedulerLink
    init(_ link: SchedulerLink) { self.link = link }
}

func reopenBigJob() throws {
    let count = quick ? 20_000 : 100_000
    line("## Opening and reopening a finished job of \(count) tasks in the monitor")
    line("   A real scheduler and the monitor's link; from Enter on the job to every row installed, then Esc")
    line("   and Enter again (the rows are kept while the job is in the model, and events keep them current).")
    let scheduler = try ServedScheduler(slots: 1)
    defer { scheduler.stop() }
    let blocker = try scheduler.client.submit(JobSpec(name: "hold", priority: .high, tasks: [TaskSpec(command: ["sleep", "600"])])).jobID
    let id = try scheduler.client.submit(JobSpec(name: "big", tasks: (0..<count).map { TaskSpec(name: "frame-\($0)", command: ["true"]) })).jobID
    _ = try scheduler.client.cancel(id)
    _ = try scheduler.waitForJob(id)
    let (link, controller) = try linkedController(scheduler)
    defer { link.stop() }
    var canvas = Canvas(width: 120, height: 40)
    _ = pump(link, controller) { controller.model.jobs[id] != nil }
    // The newest job is at the top, where the selection starts.
    let first = seconds {
        controller.handle(.enter, now: Date())
        _ = pump(link, controller) { controller.model.jobs[id]?.tasks?.count == count && !controller.model.isLoadingTasks(id) }
        _ = controller.render(into: &canvas, now: Date())
    }
    var reopen: [Double] = []
    for _ in 0..<5 {
        controller.handle(.escape, now: Date())
        _ = controller.render(into: &canvas, now: Date())
        reopen.append(seconds {
            controller.handle(.enter, now: Date())
            _ = pump(link, controller) { controller.model.jobs[id]?.tasks?.count == count && !controller.model.isLoadingTasks(id) }
            _ = controller.render(into: &canvas, now: Date())
        })
    }
    reopen.sort()
    line(String(format: "   first open: %.2f s (every page fetched); reopen: median %@ (goal ≤ 200 ms) %@", first,
                ms(percentile(reopen, 0.5)), verdict(percentile(reopen, 0.5) <= 0.2)))
    _ = try scheduler.client.cancel(blocker)
}

func markAndRetry() throws {
    let count = quick ? 2_000 : 10_000
    line("## Retrying \(count) failed tasks from the monitor: R, Enter, until the scheduler took them all")
    line("   The tasks failed in their job's environment setup (ENVIRONMENT_ERROR), so none ran; one")
    line("   slot is held so the retried ones stay queued. Time from the key to the link's outcome notice.")
    let scheduler = try ServedScheduler(slots: 1)
    defer { scheduler.stop() }
    let blocker = try scheduler.client.submit(JobSpec(name: "hold", priority: .high, tasks: [TaskSpec(command: ["sleep", "600"])])).jobID
    var spec = JobSpec(name: "failing", tasks: (0..<count).map { TaskSpec(name: "t\($0)", command: ["true"]) })
    spec.environment = EnvironmentSpec(setup: ["false"])
    let id = try scheduler.client.submit(spec).jobID
    // Setup needs a slot: let it run, then hold the slot again.
    _ = try scheduler.client.cancel(blocker)
    _ = try scheduler.waitForJob(id)
    let holder = try scheduler.client.submit(JobSpec(name: "hold", priority: .high, tasks: [TaskSpec(command: ["sleep", "600"])])).jobID
    let (link, controller) = try linkedController(scheduler)
    defer { link.stop() }
    _ = pump(link, controller) { controller.model.jobs[id]?.failedCount == count }
    var canvas = Canvas(width: 120, height: 40)
    // Select the failing job (second from the top) and retry its failed tasks.
    controller.handle(.character("g"), now: Date())
    controller.handle(.down, now: Date())
    _ = controller.render(into: &canvas, now: Date())
    let elapsed = seconds {
        controller.handle(.character("R"), now: Date())
        controller.handle(.enter, now: Date())
        _ = pump(link, controller) {
            _ = controller.render(into: &canvas, now: Date())
            return (0..<canvas.height).contains { canvas.text(ofRow: $0).contains("queued again") }
        }
    }
    let job = try scheduler.client.job(id)
    line(String(format: "   %d tasks queued again in %.2f s (goal ≤ 1 s) %@ — one retry_tasks request", job.count(.submitted) + job.count(.assigned), elapsed,
                verdict(elapsed <= 1)))
    _ = try scheduler.client.cancel(id)
    // The way it was done before `retry_tasks`: one `retry` request per task, over 8 connections.
    var again = JobSpec(name: "failing-again", tasks: (0..<count).map { TaskSpec(name: "t\($0)", command: ["true"]) })
    again.environment = EnvironmentSpec(setup: ["false"])
    let second = try scheduler.client.submit(again).jobID
    _ = try scheduler.client.cancel(holder)
    _ = try scheduler.waitForJob(second)
    let holder2 = try scheduler.client.submit(JobSpec(name: "hold", priority: .high, tasks: [TaskSpec(command: ["sleep", "600"])])).jobID
    let directory = scheduler.directory
    var done = 0
    let perTask = seconds {
        let refs = try? BulkOutcome.failedTasks(of: second, client: scheduler.client)
        done = BulkOutcome.runParallel(refs ?? [], fallback: scheduler.client, connect: { () throws(SchedulerClientError) in
            try SchedulerClient.connect(directory)
        }) { client, ref throws(SchedulerClientError) in
            try client.retry(ref.jobID, ref.taskID)
            return true
        }.done
    }
    line(String(format: "   (one retry request per task, as before: %d tasks in %.2f s)", done, perTask))
    _ = try scheduler.client.cancel(second)
    _ = try scheduler.client.cancel(holder2)
}

func failureGrouping() {
    line("## Failure groups of a 100,000-task job with 10,000 failures (12 exception types × 5 messages)")
    let rows = (0..<100_000).map { index -> TaskRow in
        var task = TaskInfo(jobID: 1, id: index, name: "t\(index)", status: index % 10 == 3 ? .failed : .completed,
                            finishedAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(index)))
        if index % 10 == 3 { task.exception = TaskException(type: "Error\(index / 10 % 12)", message: "reason \(index / 10 % 5)") }
        return TaskRow(task, seq: 1)
    }
    var samples: [Double] = []
    var groups = 0
    for _ in 0..<20 { samples.append(seconds { groups = FailureGroup.groups([(1, rows)]).count }) }
    samples.sort()
    line("   \(groups) groups: median \(ms(percentile(samples, 0.5))), p99 \(ms(percentile(samples, 0.99))) (goal ≤ 50 ms) \(verdict(percentile(samples, 0.5) <= 0.05))")
}

func searchAgainstGrep() throws {
    let megabytes = quick ? 128 : 1024
    line("## Searching a \(megabytes) MiB log for a word on its last line, against `grep -c` on the same file")
    line("   The task's stdout as the monitor reads a finished stream: its spool file, past the scheduler's socket.")
    let scheduler = try ServedScheduler(slots: 2)
    defer { scheduler.stop() }
    let id = try scheduler.client.submit(JobSpec(name: "log", tasks: [TaskSpec(command: [
        "sh", "-c", "yes 'a line of output, with some words in it, as a build log would have' | head -c \(megabytes << 20); echo; echo NEEDLE-AT-THE-END"])])).jobID
    _ = try scheduler.waitForJob(id)
    let path = scheduler.directory.taskSpool(job: id, task: 0) + ".stdout"
    _ = timeShell("cat '\(path)' > /dev/null", needs: "cat")
    let grep = (0..<3).compactMap { _ in timeShell("grep -c NEEDLE-AT-THE-END '\(path)'", needs: "grep") }.sorted()
    var ours: [Double] = []
    for _ in 0..<3 {
        let source = SpoolOutputSource(remote: SchedulerOutputSource(client: scheduler.client, job: id, task: 0, stream: .stdout),
                                       stateDirectory: scheduler.directory)
        let document = OutputDocument(source: source)
        let layout = OutputLayout.unwrapped(height: 40)
        _ = document.viewport(layout)
        ours.append(seconds {
            var status = document.search("NEEDLE-AT-THE-END", in: layout)
            while case .searching = status { status = document.continueSearch(in: layout) }
        })
    }
    ours.sort()
    guard let grepTime = grep.first.map({ _ in percentile(grep, 0.5) }) else {
        line("   grep not found: search \(ms(percentile(ours, 0.5)))")
        return
    }
    let ratio = percentile(ours, 0.5) / grepTime
    line(String(format: "   monitor: %@, grep -c: %@, ratio %.2f (goal ≤ 2) %@", ms(percentile(ours, 0.5)), ms(grepTime), ratio, verdict(ratio <= 2)))
}

/// The triage figures, in the order the README lists them.
func monitorTriage() throws {
    failureGrouping()
    line("")
    try reopenBigJob()
    line("")
    try markAndRetry()
    line("")
    try searchAgainstGrep()
}
