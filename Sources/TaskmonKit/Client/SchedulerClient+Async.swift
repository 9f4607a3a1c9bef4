import Dispatch
import Foundation

/// Runs blocking client work on a Dispatch thread and resumes the caller with its outcome.
///
/// Swift's cooperative pool may have as few threads as cores; a pool thread blocked in `recv`
/// may be the very one an in-process scheduler needs in order to answer. Dispatch's global
/// queues add threads when some block, so the blocking part waits there instead.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws(SchedulerClientError) -> T) async throws(SchedulerClientError) -> T {
    let result: Result<T, SchedulerClientError> = await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            do throws(SchedulerClientError) {
                continuation.resume(returning: .success(try body()))
            } catch {
                continuation.resume(returning: .failure(error))
            }
        }
    }
    return try result.get()
}

// Async twins of the blocking calls: from async code (an actor, a test, a monitor) these are
// the ones chosen, and they never block a cooperative thread.
extension SchedulerClient {
    public func submit(_ spec: JobSpec) async throws(SchedulerClientError) -> SubmitResult {
        try await offloaded { () throws(SchedulerClientError) in try self.submit(spec) }
    }

    public func jobs() async throws(SchedulerClientError) -> [JobInfo] {
        try await offloaded { () throws(SchedulerClientError) in try self.jobs() }
    }

    public func jobList() async throws(SchedulerClientError) -> JobList {
        try await offloaded { () throws(SchedulerClientError) in try self.jobList() }
    }

    public func job(_ id: JobID, includeTasks: Bool = false) async throws(SchedulerClientError) -> JobInfo {
        try await offloaded { () throws(SchedulerClientError) in try self.job(id, includeTasks: includeTasks) }
    }

    public func tasks(of id: JobID, offset: Int, limit: Int) async throws(SchedulerClientError) -> JobInfo {
        try await offloaded { () throws(SchedulerClientError) in try self.tasks(of: id, offset: offset, limit: limit) }
    }

    public func task(
        _ job: JobID, _ task: TaskIndex, outputCap: Int = Wire.defaultOutputCap, attempt: Int? = nil
    ) async throws(SchedulerClientError) -> TaskInfo {
        try await offloaded { () throws(SchedulerClientError) in try self.task(job, task, outputCap: outputCap, attempt: attempt) }
    }

    public func readOutput(
        _ job: JobID, _ task: TaskIndex, stream: OutputStreamName, offset: Int64, length: Int, attempt: Int? = nil
    ) async throws(SchedulerClientError) -> OutputChunk {
        try await offloaded { () throws(SchedulerClientError) in
            try self.readOutput(job, task, stream: stream, offset: offset, length: length, attempt: attempt)
        }
    }

    @discardableResult
    public func cancel(_ job: JobID, task: TaskIndex? = nil, message: String? = nil) async throws(SchedulerClientError) -> CancelResult {
        try await offloaded { () throws(SchedulerClientError) in try self.cancel(job, task: task, message: message) }
    }

    public func retry(_ job: JobID, _ task: TaskIndex) async throws(SchedulerClientError) {
        try await offloaded { () throws(SchedulerClientError) in try self.retry(job, task) }
    }

    public func retryTasks(_ tasks: [TaskRef], failedOfJobs: [JobID] = []) async throws(SchedulerClientError) -> RetryTasksResult {
        try await offloaded { () throws(SchedulerClientError) in try self.retryTasks(tasks, failedOfJobs: failedOfJobs) }
    }

    public func status() async throws(SchedulerClientError) -> SchedulerStatus {
        try await offloaded { () throws(SchedulerClientError) in try self.status() }
    }

    public func shutdown() async throws(SchedulerClientError) {
        try await offloaded { () throws(SchedulerClientError) in try self.shutdown() }
    }

    public func subscribe(afterSeq: UInt64?) async throws(SchedulerClientError) -> EventSubscription {
        try await offloaded { () throws(SchedulerClientError) in try self.subscribe(afterSeq: afterSeq) }
    }

    public func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: RPCMethod, _ params: P, as type: R.Type
    ) async throws(SchedulerClientError) -> R {
        try await offloaded { () throws(SchedulerClientError) in try self.call(method, params, as: type) }
    }

    /// Connects without blocking a cooperative thread.
    public static func connect(
        _ stateDirectory: StateDirectory, clientName: String = "taskmon", timeout: Duration? = nil
    ) async throws(SchedulerClientError) -> SchedulerClient {
        try await offloaded { () throws(SchedulerClientError) in
            try SchedulerClient.connect(stateDirectory, clientName: clientName, timeout: timeout)
        }
    }
}

extension EventSubscription {
    /// ``next(timeout:)`` without blocking a cooperative thread.
    public func next(timeout: Duration? = nil) async throws(SchedulerClientError) -> SubscriptionMessage? {
        try await offloaded { () throws(SchedulerClientError) in try self.next(timeout: timeout) }
    }
}
