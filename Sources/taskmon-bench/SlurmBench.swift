import Foundation
import TaskmonKit

// `taskmon-bench slurm`: the Slurm backend's figures, on a single-node test cluster started
// by Scripts/slurm-cluster (OverSubscribe=FORCE:8) under a temp folder.

/// The repository's Scripts/slurm-cluster, from the current directory (run from the repo root).
private let clusterScript = FileManager.default.currentDirectoryPath + "/Scripts/slurm-cluster"

/// Runs a command line with `environment` added; its stdout, or nil when it fails.
/// posix_spawn and waitpid, not Foundation.Process, which at times never notices that a
/// shell whose children daemonized has exited.
@discardableResult
private func shell(_ command: String, environment: [String: String] = [:]) -> String? {
    let outputPath = "\(benchRoot)/shell-\(getpid()).out"
    let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let argv = ["/bin/sh", "-c", "exec >'\(outputPath)' 2>/dev/null </dev/null; " + command]
    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArgs.forEach { free($0) }
        cEnv.forEach { free($0) }
        unlink(outputPath)
    }
    var pid: pid_t = 0
    guard posix_spawn(&pid, "/bin/sh", nil, nil, cArgs, cEnv) == 0 else { return nil }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    guard status == 0 else { return nil }
    return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}

private final class SlurmBenchCluster {
    let folder: String
    var environment: [String: String] { ["SLURM_CONF": folder + "/slurm.conf"] }

    init() throws {
        var template = Array("/tmp/tmbench-XXXXXX".utf8CString)
        folder = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        // Output to /dev/null: the daemons it starts would hold a pipe open for ever.
        guard shell("'\(clusterScript)' start '\(folder)' >/dev/null 2>&1", environment: ["OVERSUBSCRIBE": "FORCE:8"]) != nil else {
            throw BenchError("the test cluster did not start (see \(folder)/log)")
        }
    }

    func squeueCount(_ states: String) -> Int {
        (shell("squeue -h -r -t \(states) -o %i | wc -l", environment: environment)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? -1
    }

    func stop() {
        shell("'\(clusterScript)' stop '\(folder)' >/dev/null 2>&1")
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// `taskmon serve --backend slurm` on a temp state dir.
private final class SlurmServed {
    let directory: StateDirectory
    let process = Process()
    let client: SchedulerClient

    init(cluster: SlurmBenchCluster) throws {
        var template = Array("\(benchRoot)/XXXXXX".utf8CString)
        let path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
        directory = StateDirectory(path: path)
        process.executableURL = URL(fileURLWithPath: taskmonPath)
        process.arguments = ["serve", "--state-dir", path, "--backend", "slurm", "--slurm-conf", cluster.folder + "/slurm.conf"]
        process.environment = ProcessInfo.processInfo.environment.merging(cluster.environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var connected: SchedulerClient?
        for _ in 0..<1000 where connected == nil {
            connected = try? SchedulerClient.connect(directory, clientName: "bench")
            if connected == nil { usleep(10_000) }
        }
        guard let connected else { throw BenchError("taskmon serve --backend slurm did not start on \(path)") }
        client = connected
    }

    func stop() {
        try? client.shutdown()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: directory.path)
    }
}

/// Waits (polling every 50 ms) until `condition` holds, at most `seconds`; false when it never did.
private func waitFor(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(50_000)
    }
    return false
}

func slurmBench() throws {
    guard shell("command -v slurmctld && command -v sbatch >/dev/null") != nil else {
        line("## Slurm: skipped — Slurm is not installed (apt-get install slurmctld slurmd slurm-client munge)")
        return
    }
    let cluster = try SlurmBenchCluster()
    defer { cluster.stop() }
    try bigSlurmJob(cluster)
    line("")
    try slurmOverhead(cluster)
}

/// A 10,000-task job: time until every task is in Slurm's queue, the number of sbatch calls,
/// and the scheduler's CPU per poll with 10,000 elements known to Slurm.
private func bigSlurmJob(_ cluster: SlurmBenchCluster) throws {
    let count = quick ? 2000 : 10_000
    line("## A \(count)-task job on Slurm: submit, poll, cancel")
    line("   `sleep 600` tasks; from the submit call until squeue lists all \(count) elements; arrays counted in squeue;")
    line("   poll cost = the scheduler process's CPU (user+sys) over 10 s of 1 s polls, per poll, minus its idle CPU.")
    let served = try SlurmServed(cluster: cluster)
    defer { served.stop() }
    // Idle CPU of the scheduler over the same 10 s, nothing in Slurm.
    let pid = served.process.processIdentifier
    let idle0 = processCPUSeconds(pid)
    sleep(5)
    let idle = (processCPUSeconds(pid) - idle0) / 5
    let spec = JobSpec(name: "big", tasks: (0..<count).map { _ in TaskSpec(command: ["sleep", "600"]) })
    var id: JobID = 0
    var all = false
    let submit = try seconds {
        id = try served.client.submit(spec).jobID
        all = waitFor(60) { cluster.squeueCount("all") >= count }
    }
    let arrays = shell("squeue -h -r -t all -O ArrayJobID | sort -u | wc -l", environment: cluster.environment)?
        .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
    line(String(format: "   in Slurm's queue: %.2f s after submit (goal < 1 s) %@; %@ job array(s) (sbatch calls)%@",
                submit, verdict(all && submit < 1), arrays, all ? "" : " — NOT all elements arrived"))
    sleep(2)
    let cpu0 = processCPUSeconds(pid)
    let window = 10.0
    usleep(UInt32(window * 1e6))
    let perPoll = ((processCPUSeconds(pid) - cpu0) / window - idle) * 1000
    let squeueTime = seconds { _ = shell("squeue --me -h -r -t all -O 'ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,StartTime:|,EndTime:|,NodeList:|' > /dev/null", environment: cluster.environment) }
    line(String(format: "   one poll at %d elements: %.1f ms of scheduler CPU (goal < 100 ms) %@; squeue itself takes %.0f ms (its own process)",
                count, perPoll, verdict(perPoll < 100), squeueTime * 1000))
    var done = false
    let cancel = try seconds {
        _ = try served.client.cancel(id)
        done = waitFor(120) { (try? served.client.job(id).isDone) == true }
    }
    line(String(format: "   cancel of the whole job until every task is CANCELED: %.2f s%@", cancel, done ? "" : " — did not finish"))
    _ = waitFor(60) { cluster.squeueCount("PENDING,RUNNING,COMPLETING") == 0 }
}

/// 200 `/bin/true` as a bare `sbatch --array` and through taskmon, drained on the same cluster.
private func slurmOverhead(_ cluster: SlurmBenchCluster) throws {
    let count = 200
    line("## \(count) /bin/true on Slurm (2 CPUs, OverSubscribe=FORCE:8): bare sbatch --array vs taskmon")
    line("   bare: one `sbatch --array=0-\(count - 1) --wrap /bin/true`, until squeue shows all COMPLETED (polled every 50 ms);")
    line("   taskmon: one job of \(count) tasks through `taskmon serve --backend slurm` (1 s polls), until the job is done.")
    let out = cluster.folder + "/out"
    var bareID = ""
    let bare = seconds {
        bareID = shell("sbatch --parsable --array=0-\(count - 1) -o /dev/null -e /dev/null --chdir \(out) --wrap /bin/true", environment: cluster.environment)?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        _ = waitFor(300) {
            let finished = shell("squeue -h -r -j \(bareID) -t all -o %T | grep -c COMPLETED", environment: cluster.environment)
            return Int(finished?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") == count
        }
    }
    let served = try SlurmServed(cluster: cluster)
    defer { served.stop() }
    var completed = 0
    let through = try seconds {
        let id = try served.client.submit(JobSpec(name: "true", tasks: Array(repeating: TaskSpec(command: ["/bin/true"]), count: count))).jobID
        _ = waitFor(300) { (try? served.client.job(id).isDone) == true }
        completed = try served.client.job(id).count(.completed)
    }
    line(String(format: "   bare sbatch --array   %6.2f s", bare))
    line(String(format: "   taskmon               %6.2f s  (%d completed)", through, completed))
    line(String(format: "   taskmon / bare = %.2f×  (goal ≤ 1.1×)  %@", through / bare, verdict(through <= 1.1 * bare && completed == count)))
}
