import Foundation
import TaskmonKit

// MARK: Throughput as a user runs it: `taskmon submit --wait` beside xargs, in the same run

/// CPU seconds (user + system) a process has used so far, from /proc/PID/stat.
func processCPUSeconds(_ pid: Int32) -> Double { statCPUSeconds(pid, fromField: 14) }

/// CPU seconds (user + system) of the children a process has reaped so far (cutime + cstime in
/// /proc/PID/stat): for the scheduler, what its tasks themselves cost.
func reapedChildrenCPUSeconds(_ pid: Int32) -> Double { statCPUSeconds(pid, fromField: 16) }

/// The sum of /proc/PID/stat's clock-tick fields `field` and `field + 1` (1-based, as in proc(5)), in seconds.
private func statCPUSeconds(_ pid: Int32, fromField field: Int) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return .nan }
    // The command name, in parentheses, may hold spaces; what follows starts at field 3 (state).
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > field - 2, let user = Double(fields[field - 3]), let system = Double(fields[field - 2]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// CPU seconds of every child this process has waited for so far.
func childrenCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// Runs a command to its end; returns its wall time and the CPU it (and its children) used.
func timedRun(_ arguments: [String]) -> (wall: Double, cpu: Double, status: Int32) {
    let cpuBefore = childrenCPUSeconds()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    var status: Int32 = -1
    let wall = seconds {
        try? process.run()
        process.waitUntilExit()
        status = process.terminationStatus
    }
    return (wall, childrenCPUSeconds() - cpuBefore, status)
}

func median(_ values: [Double]) -> Double { percentile(values.sorted(), 0.5) }

func cliThroughput() throws {
    let count = quick ? 500 : 2000
    let rounds = quick ? 2 : 5
    line("## \(count) no-op tasks (/bin/true) through the CLI, 2 at a time, beside xargs -P2 (\(rounds) rounds, medians)")
    line("   taskmon: `taskmon submit --wait SPEC` against a running `taskmon serve --slots 2`, as a user runs it;")
    line("   each round runs it and `seq \(count) | xargs -P2 -n1 /bin/true` one after the other. CPU of the scheduler")
    line("   from /proc/PID/stat; of the submitter (which waits for the job's completion event) from its rusage.")
    let scheduler = try ServedScheduler(slots: 2)
    defer { scheduler.stop() }
    let spec = JobSpec(name: "noop", tasks: Array(repeating: TaskSpec(command: ["/bin/true"]), count: count))
    let specPath = scheduler.directory.path + "/noop.json"
    try Wire.encoder().encode(spec).write(to: URL(fileURLWithPath: specPath))
    var taskmonWalls: [Double] = [], xargsWalls: [Double] = [], ratios: [Double] = []
    var schedulerCPU: [Double] = [], waiterCPU: [Double] = [], tasksCPU: [Double] = [], xargsCPU: [Double] = []
    let schedulerPid = scheduler.process.processIdentifier
    for _ in 0..<rounds {
        let before = processCPUSeconds(schedulerPid)
        let tasksBefore = reapedChildrenCPUSeconds(schedulerPid)
        let taskmon = timedRun([taskmonPath, "submit", "--state-dir", scheduler.directory.path, "--wait", specPath])
        guard taskmon.status == 0 else { throw BenchError("taskmon submit --wait exited \(taskmon.status)") }
        schedulerCPU.append(processCPUSeconds(schedulerPid) - before)
        tasksCPU.append(reapedChildrenCPUSeconds(schedulerPid) - tasksBefore)
        waiterCPU.append(taskmon.cpu)
        let xargs = timedRun(["/bin/sh", "-c", "seq \(count) | xargs -P2 -n1 /bin/true"])
        xargsCPU.append(xargs.cpu)
        taskmonWalls.append(taskmon.wall)
        xargsWalls.append(xargs.wall)
        ratios.append(taskmon.wall / xargs.wall)
    }
    let msPerTask = { (seconds: Double) in seconds / Double(count) * 1000 }
    let perTask = msPerTask(median(schedulerCPU))
    line(String(format: "   taskmon submit --wait      %7.2f s  (%5.0f tasks/s)", median(taskmonWalls), Double(count) / median(taskmonWalls)))
    line(String(format: "   seq | xargs -P2 -n1 true   %7.2f s  (%5.0f tasks/s)", median(xargsWalls), Double(count) / median(xargsWalls)))
    line(String(format: "   taskmon / xargs, pair by pair: median %.2f× (min %.2f×, max %.2f×)  (goal ≤ 1.2×)  %@",
                median(ratios), ratios.min() ?? .nan, ratios.max() ?? .nan, verdict(median(ratios) <= 1.2)))
    line(String(format: "   scheduler CPU %.2f s = %.3f ms a task (goal ≤ 0.25 ms)  %@; rounds %.3f–%.3f ms", median(schedulerCPU), perTask,
                verdict(perTask <= 0.25), msPerTask(schedulerCPU.min() ?? .nan), msPerTask(schedulerCPU.max() ?? .nan)))
    // What a task costs on this machine, measured in the same rounds: the yardstick for the figure above.
    let tasksOwn = msPerTask(median(tasksCPU)), xargsWithTasks = msPerTask(median(xargsCPU))
    line(String(format: "   the tasks' own CPU %.3f ms a task (the scheduler's reaped children); xargs with its tasks %.3f ms a task,",
                tasksOwn, xargsWithTasks))
    line(String(format: "   so xargs' own share is about %.3f ms a task, against the scheduler's %.3f", xargsWithTasks - tasksOwn, perTask))
    line(String(format: "   submitter CPU %.3f s (waiting costs it one event)", median(waiterCPU)))
}
