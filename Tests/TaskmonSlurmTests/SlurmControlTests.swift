import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// Cancel, restart, Slurm going away, node failure: against a real single-node cluster.
@Suite("Slurm backend: cancel, restart, outages", .enabled(if: SlurmAvailability.available, "skipped: no Slurm here"))
struct SlurmControlTests {
    /// The Slurm id (`12_3`) of a task, from its host (`slurm 12_3 on node`).
    static func slurmID(_ task: TaskInfo) -> String? {
        task.host?.split(separator: " ").dropFirst().first.map(String.init)
    }

    @Test("canceled through taskmon (running and waiting in Slurm's queue) and with a bare scancel")
    func cancels() async throws {
        try await withSlurmScheduler { cluster, slurm in
            // 2 CPUs oversubscribed 8 times: 16 run, the rest wait in Slurm's queue.
            let spec = JobSpec(name: "cancel me", tasks: (0..<24).map { _ in TaskSpec(command: ["sleep", "60"]) })
            let id = try await slurm.submit(spec)
            try await eventually("16 tasks running") { try await slurm.job(id).count(.running) >= 16 }
            let waiting = try await slurm.job(id).tasks!.first { $0.status == .assigned }
            #expect(waiting != nil, "some tasks wait in Slurm's queue")
            // Why it waits, in plain words (Slurm says Resources or Priority).
            if let waiting {
                try await eventually("a pending reason on task \(waiting.id)", within: 30) {
                    try await slurm.task(id, waiting.id).message?.contains("Slurm's queue") == true
                }
                // Its Slurm id is known (and stored for a restart) while it waits.
                let host = try await slurm.task(id, waiting.id).host ?? ""
                #expect(host.split(separator: "_").count == 2 && host.split(separator: "_").allSatisfy { Int($0) != nil }, "\(host)")
            }

            // A bare scancel of a running element: CANCELED, and the message says it came from outside.
            let victim = try await slurm.task(id, 0)
            let victimID = try #require(Self.slurmID(victim))
            let scancel = try await cluster.slurm(["scancel", victimID])
            #expect(scancel.status == 0, "\(scancel.errors)")
            try await eventually("the scancelled task to be CANCELED") { try await slurm.task(id, 0).status == .canceled }
            let outside = try await slurm.task(id, 0)
            #expect(outside.cancellationMessage?.contains("outside taskmon") == true, "\(outside.cancellationMessage ?? "")")
            #expect(outside.cancellationMessage?.contains(victimID) == true)

            // The rest through taskmon, running ones and waiting ones alike.
            try await slurm.cancel(id, message: "no longer needed")
            let job = try await slurm.waitUntilDone(id, within: 60)
            #expect(job.count(.canceled) == 24)
            for task in job.tasks! where task.id != 0 {
                #expect(task.cancellationMessage == "Canceled by \(NSUserName()): no longer needed")
                #expect(task.cancellationReason == .direct)
            }
            // Nothing of the job is left in Slurm.
            try await eventually("Slurm's queue to empty") {
                try await cluster.slurm(["squeue", "-h", "-o", "%i", "-t", "PENDING,RUNNING,COMPLETING"]).output.isEmpty
            }
        }
    }

    @Test("restart of the scheduler (kill -9 and a clean stop) while tasks run and wait: re-attached, none lost, none run twice")
    func restart() async throws {
        try await withSlurmScheduler { cluster, slurm in
            let marks = makeTempFolder("tmsm")
            defer { try? FileManager.default.removeItem(atPath: marks) }
            // Each run appends a line to its task's mark file: a task run twice has two lines.
            // The tasks end only once the test lets them (a file appears; ten minutes are their
            // backstop): with a fixed `sleep 4`, a loaded machine's slow polls could see them go
            // from Slurm's queue straight to COMPLETED and never 4 RUNNING at once (stress run).
            let gate = marks + "/go"
            let spec = JobSpec(name: "survive", tasks: (0..<20).map { index in
                TaskSpec(command: ["sh", "-c", "echo run >> \(marks)/\(index); \(waitForFile(gate, tries: 1200, every: "0.5")); echo done-\(index)"])
            })
            let id = try await slurm.submit(spec)
            try await eventually("tasks running") { try await slurm.job(id).count(.running) >= 4 }
            await slurm.crash()
            try await slurm.start()
            // Re-attached: it follows the tasks again (none can end before the gate opens).
            try await eventually("tasks running again") { try await slurm.job(id).count(.running) >= 1 }
            await slurm.stop()
            try await slurm.start()
            #expect(FileManager.default.createFile(atPath: gate, contents: nil))
            let job = try await slurm.waitUntilDone(id, within: 120)
            #expect(job.count(.completed) == 20)
            for index in 0..<20 {
                let task = try await slurm.task(id, index)
                #expect(task.standardOutput == "done-\(index)\n")
                #expect(task.attempts == 1)
                #expect(task.interruptedRetryAttempts == 0)
                let runs = (try? String(contentsOfFile: "\(marks)/\(index)", encoding: .utf8)) ?? ""
                #expect(runs == "run\n", "task \(index) ran \(runs.split(separator: "\n").count) times")
            }
            _ = cluster
        }
    }

    @Test("slurmctld down: the status says so, nothing is lost, polling resumes when it is back")
    func controllerDown() async throws {
        try await withSlurmScheduler { cluster, slurm in
            // The task ends only once the test lets it (a file appears), so a slow poll on a
            // loaded machine cannot miss its RUNNING; a minute is its backstop.
            let gate = makeTempFolder("tmsg") + "/go"
            defer { try? FileManager.default.removeItem(atPath: (gate as NSString).deletingLastPathComponent) }
            let wait = waitForFile(gate, tries: 600, every: "0.1") + "; echo ok"
            let id = try await slurm.submit(JobSpec(name: "outage", tasks: [TaskSpec(command: ["sh", "-c", wait])]))
            try await eventually("the task running") { try await slurm.job(id).count(.running) == 1 }
            // A clean stop: slurmctld saves its state. (Killed with -9 it may lose its last
            // allocations and start a running job a second time: Slurm's doing, not taskmon's.)
            try await cluster.stopDaemon("slurmctld")
            try await eventually("the status to name the problem", within: 30) { try await slurm.status().backendProblem != nil }
            #expect(try await slurm.status().backend == "slurm")
            try await Task.sleep(for: .seconds(4))
            #expect(try await slurm.task(id, 0).status == .running, "silence is not an ending")
            try await cluster.startDaemon("slurmctld")
            #expect(FileManager.default.createFile(atPath: gate, contents: nil))
            let job = try await slurm.waitUntilDone(id, within: 60)
            let task = try await slurm.task(id, 0)
            #expect(job.count(.completed) == 1, "\(task.status.name): \(task.exception?.message ?? "")")
            #expect(task.standardOutput == "ok\n")
            #expect(try await slurm.status().backendProblem == nil)
        }
    }

    @Test("interrupted: slurmd killed, the node fails (SlurmdTimeout lowered) and the task is INTERRUPTED")
    func nodeFailure() async throws {
        try await withSlurmScheduler(["SLURMD_TIMEOUT": "10"]) { cluster, slurm in
            let spec = JobSpec(name: "node dies", maxInterruptedRetries: 0, tasks: [TaskSpec(command: ["sleep", "120"])])
            let id = try await slurm.submit(spec)
            try await eventually("the task running") { try await slurm.job(id).count(.running) == 1 }
            try await cluster.stopDaemon("slurmd", signal: "KILL")
            let job = try await slurm.waitUntilDone(id, within: 120)
            let task = try #require(job.tasks?.first)
            #expect(task.status == .interrupted)
            #expect(task.exception?.type == "Interrupted")
            #expect(task.exception?.message.contains("NODE_FAIL") == true, "\(task.exception?.message ?? "")")
        }
    }

    @Test("Slurm unreachable at start: one clear message, exit 1")
    func unreachable() async throws {
        let folder = makeTempFolder("tmsu")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let conf = folder + "/slurm.conf"
        try "ClusterName=gone\nSlurmctldHost=localhost(127.0.0.1)\nSlurmctldPort=9\nAuthType=auth/none\n".write(toFile: conf, atomically: true, encoding: .utf8)
        let result = try await offPool {
            try runCommand([taskmonBinary, "serve", "--state-dir", folder + "/state", "--backend", "slurm", "--slurm-conf", conf], timeout: 60)
        }
        #expect(result.status == 1)
        let lines = result.errors.split(separator: "\n").filter { !$0.contains(" info ") && !$0.contains(" notice ") }
        #expect(lines.count == 1, "\(result.errors)")
        #expect(result.errors.contains("Slurm does not answer"), "\(result.errors)")
    }
}
