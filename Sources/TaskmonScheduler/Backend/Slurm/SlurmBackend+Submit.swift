import Foundation
import Glibc
import TaskmonKit

extension SlurmBackend {
    /// What the runs of one job array share: the job, Slurm's time limit and nice value, and
    /// the cores and memory each element asks for.
    private struct ArrayKey: Hashable {
        var job: JobID
        /// Tasks share an array; a setup or teardown goes alone.
        var environmentRun: Int
        var minutes: Int?
        var nice: Int
        var resources: TaskResources?
    }

    /// Submits every launch collected so far, one sbatch per job array. On the backend's queue.
    func flushLaunches() {
        let (collected, withdrawn) = state.withLock { state -> ([(RunHandle, LaunchRequest)], [RunHandle]) in
            state.flushScheduled = false
            let all = state.collecting
            state.collecting.removeAll()
            var kept: [(RunHandle, LaunchRequest)] = []
            var withdrawn: [RunHandle] = []
            for (handle, request) in all {
                if state.elements[handle]?.withdrawRequested == true {
                    state.elements[handle] = nil
                    withdrawn.append(handle)
                } else {
                    state.elements[handle]?.phase = .submitting
                    kept.append((handle, request))
                }
            }
            return (kept, withdrawn)
        }
        let now = clock.now()
        for handle in withdrawn {
            inbox.post(.launchFailed(handle, LaunchError(message: "canceled before it was submitted to Slurm"), at: now))
        }
        var groups: [ArrayKey: [(RunHandle, LaunchRequest)]] = [:]
        var order: [ArrayKey] = []
        var serial = 0
        for (handle, request) in collected {
            var key = ArrayKey(
                job: request.purpose.jobID, environmentRun: 0, minutes: request.timeLimit.map(Self.minutes),
                nice: Self.nice(request.priority), resources: request.resources)
            if case .task = request.purpose {} else {
                serial += 1
                key.environmentRun = serial
            }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((handle, request))
        }
        for key in order {
            let runs = groups[key]!
            var start = 0
            while start < runs.count {
                let end = min(runs.count, start + limits.arrayLimit)
                submit(Array(runs[start..<end]), minutes: key.minutes, nice: key.nice, resources: key.resources)
                start = end
            }
        }
    }

    /// One sbatch for `runs`: element i runs `runs[i]`.
    private func submit(_ runs: [(RunHandle, LaunchRequest)], minutes: Int?, nice: Int, resources: TaskResources?) {
        let first = runs[0].1
        let submissionID = state.withLock { state -> Int in
            state.nextSubmission += 1
            return state.nextSubmission
        }
        let jobFolder = Self.parent(first.stdoutPath)
        let folder = "\(jobFolder)/slurm-\(getpid())-\(Int(Date().timeIntervalSince1970 * 1000))-\(submissionID)"
        let common = Self.commonEnvironment(runs.map(\.1))
        do {
            try prepare(folder: folder, jobFolder: jobFolder, runs, common: common)
        } catch {
            fail(runs, "cannot write the job array's scripts on the spool: \(error)")
            removeFolder(folder)
            return
        }
        endWatch?.watch(jobFolder)
        var arguments = [
            "--parsable", "--array=0-\(runs.count - 1)", "--job-name=taskmon-\(first.purpose.jobID)",
            "--output=/dev/null", "--error=\(folder)/slurm.err", "--open-mode=append", "--export=ALL",
            "--no-requeue", "--chdir=\(folder)", "--nice=\(nice)",
        ]
        if let partition = settings.partition { arguments.append("--partition=\(partition)") }
        if let minutes { arguments.append("--time=\(minutes)") }
        arguments += Self.resourceArguments(resources)
        arguments.append("\(folder)/batch")
        let answer = command.run("sbatch", arguments, timeout: settings.commandTimeout, environment: common)
        let now = clock.now()
        let id = answer.text.split(separator: "\n").first?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard answer.succeeded, let id, !id.isEmpty, Int(id) != nil else {
            let why = answer.timedOut ? "sbatch gave no answer in \(settings.commandTimeout) (is the cluster at MaxJobCount?)" : "sbatch refused it: \(answer.problem)"
            fail(runs, why)
            removeFolder(folder)
            return
        }
        let withdraw = state.withLock { state -> [String] in
            state.submissions[submissionID] = SlurmSubmission(folder: folder, live: runs.count)
            var withdraw: [String] = []
            for (index, (handle, _)) in runs.enumerated() {
                guard var element = state.elements[handle] else { continue }
                element.arrayJobID = id
                element.index = index
                element.submission = submissionID
                element.phase = .queued
                element.reason = "None"
                state.elements[handle] = element
                state.byID["\(id)_\(index)"] = handle
                if element.withdrawRequested { withdraw.append("\(id)_\(index)") }
            }
            return withdraw
        }
        for (index, (handle, _)) in runs.enumerated() {
            inbox.post(.queued(handle, RunDetail(backendID: "\(id)_\(index)"), reason: nil, lasting: false, at: now))
        }
        if !withdraw.isEmpty { withdrawQueued(withdraw) }
    }

    /// The submission's folder with one script per element, the batch script, and the tasks'
    /// spool folders (a missing output folder would fail the element with JobLaunchFailure).
    private func prepare(folder: String, jobFolder: String, _ runs: [(RunHandle, LaunchRequest)], common: [String: String]) throws {
        try makeFolder(jobFolder, mayExist: true)
        try makeFolder(folder, mayExist: false)
        var folders: Set<String> = [jobFolder]
        var elements: [UInt8] = []
        var offsets: [Int] = []
        offsets.reserveCapacity(runs.count + 1)
        for (_, request) in runs {
            for path in [request.stdoutPath, request.stderrPath] {
                let parent = Self.parent(path)
                if folders.insert(parent).inserted { try makeFolder(parent, mayExist: true) }
            }
            SpoolPreparer.clearEarlierAttempt(request)
            var exports: [String: String] = [:]
            for (name, value) in request.environment where common[name] != value { exports[name] = value }
            var located = request
            if located.workingDirectory == nil { located.workingDirectory = defaultDirectory }
            offsets.append(elements.count)
            elements.append(contentsOf: SlurmScripts.element(located, exports: exports).utf8)
        }
        offsets.append(elements.count)
        try write(elements, to: "\(folder)/elements")
        try write(Array(SlurmScripts.batch(folder: folder, offsets: offsets).utf8), to: "\(folder)/batch")
    }

    private func makeFolder(_ path: String, mayExist: Bool) throws {
        if mkdir(path, 0o700) != 0 && !(mayExist && errno == EEXIST) {
            throw SlurmSpoolError("cannot create \(path): \(errorText(errno))")
        }
    }

    private func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o700)
        guard fd >= 0 else { throw SlurmSpoolError("cannot create \(path): \(errorText(errno))") }
        defer { Glibc.close(fd) }
        var bytes = bytes
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + written, $0.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw SlurmSpoolError("cannot write \(path): \(errorText(errno))") }
            written += n
        }
    }

    func removeFolder(_ path: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for entry in entries { unlink("\(path)/\(entry)") }
        rmdir(path)
    }

    private func fail(_ runs: [(RunHandle, LaunchRequest)], _ message: String) {
        let now = clock.now()
        state.withLock { state in
            for (handle, _) in runs { state.elements[handle] = nil }
        }
        for (handle, _) in runs { inbox.post(.launchFailed(handle, LaunchError(message: message), at: now)) }
    }

    /// The variables every run of the array has with the same value: sbatch's own environment,
    /// which `--export=ALL` hands to each element (values with commas survive this way).
    static func commonEnvironment(_ requests: [LaunchRequest]) -> [String: String] {
        guard var common = requests.first?.environment else { return [:] }
        for request in requests.dropFirst() where !common.allSatisfy({ request.environment[$0.key] == $0.value }) {
            common = common.filter { request.environment[$0.key] == $0.value }
        }
        return common
    }

    /// The folder a path is in (plain string work: this runs for every element).
    static func parent(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        return slash == path.utf8.startIndex ? "/" : String(path[..<slash])
    }

    /// Slurm's time limits are whole minutes: rounded up, so Slurm never ends a task before
    /// taskmon's own exact deadline does.
    static func minutes(_ limit: Duration) -> Int {
        let seconds = Double(Moment.nanoseconds(limit)) / 1e9
        return max(1, Int(min((seconds / 60).rounded(.up), 1e8)))
    }

    /// A job's ``TaskResources`` as sbatch asks for them, per element: `--cpus-per-task=N`
    /// and `--mem=MM` (megabytes per node, and an element is one task on one node).
    static func resourceArguments(_ resources: TaskResources?) -> [String] {
        var arguments: [String] = []
        if let cores = resources?.cores { arguments.append("--cpus-per-task=\(cores)") }
        if let memory = resources?.memoryMB { arguments.append("--mem=\(memory)M") }
        return arguments
    }

    /// Priority as Slurm's nice value: unprivileged users may only lower their jobs' priority,
    /// so high is 0 and each step down adds 100.
    static func nice(_ priority: JobPriority) -> Int {
        (JobPriority.high.rawValue - priority.rawValue) * 100
    }
}

struct SlurmSpoolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
