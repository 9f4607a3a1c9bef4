import Foundation
import Synchronization

/// Why talking to the scheduler failed.
public enum SchedulerClientError: Error, CustomStringConvertible, Equatable {
    /// Nothing accepts connections at the socket (no such file, connection refused, permission
    /// denied, …).
    case notRunning(socketPath: String, reason: String)
    /// The connection broke: the scheduler stopped, or was stopped, while we talked.
    case connectionLost(String)
    /// The scheduler said something this client cannot read.
    case protocolError(String)
    /// The scheduler answered the request with an error.
    case rpc(RPCError)
    /// No answer within the client's timeout.
    case timedOut

    public var description: String {
        switch self {
        case .notRunning(let socketPath, let reason) where reason.hasPrefix("permission denied"):
            "permission denied: cannot use the scheduler at \(socketPath)" + reason.dropFirst("permission denied".count)
                + (reason == "permission denied" ? " (it belongs to another user)" : "")
        case .notRunning(let socketPath, let reason):
            "no scheduler is running at \(socketPath) (\(reason)); start one with `taskmon serve` or set --state-dir/TASKMON_STATE_DIR"
        case .connectionLost(let reason):
            "lost the connection to the scheduler: \(reason)"
        case .protocolError(let detail):
            "protocol error: \(detail)"
        case .rpc(let error):
            error.message
        case .timedOut:
            "the scheduler did not answer in time"
        }
    }
}

/// A blocking JSON-RPC client of one scheduler, over one connection: what the CLI, the monitor,
/// the Swift API and the tests use.
///
/// Thread-safe: calls from several threads are served one at a time on the connection (a request
/// holds it until its answer arrived). Events come on a second connection: ``subscribe(afterSeq:)``.
///
/// Every call blocks its thread until the answer arrives. From Swift concurrency, call it from a
/// thread of your own when the scheduler may run in the same process (`taskmon demo`, tests):
/// the cooperative pool can have as few threads as cores, and a pool thread blocked here may be
/// the one the scheduler needs in order to answer.
public final class SchedulerClient: Sendable {
    /// What the scheduler said in answer to `hello`.
    public let hello: HelloResult
    public let socketPath: String
    public let clientName: String
    /// How long one call waits for its answer; nil waits for ever.
    public let timeout: Duration?

    private let connection: SocketLineConnection
    /// The next request id; held for a whole call, which is what serializes calls.
    private let nextID = Mutex(1)

    /// Connects to the scheduler of `stateDirectory` (its `scheduler.sock`).
    public static func connect(
        _ stateDirectory: StateDirectory, clientName: String = "taskmon", timeout: Duration? = nil
    ) throws(SchedulerClientError) -> SchedulerClient {
        try SchedulerClient(socketPath: stateDirectory.socketPath, clientName: clientName, timeout: timeout)
    }

    /// Connects, sends `hello` with ``Wire/protocolVersion`` and keeps the answer.
    ///
    /// - Parameter timeout: how long each call (the hello included) waits for its answer.
    public init(socketPath: String, clientName: String = "taskmon", timeout: Duration? = nil) throws(SchedulerClientError) {
        let connection = try SocketLineConnection(path: socketPath, deadline: timeout.map { ContinuousClock.now + $0 })
        do throws(SchedulerClientError) {
            hello = try Self.greet(connection, clientName: clientName, timeout: timeout)
        } catch {
            connection.close()
            throw error
        }
        self.connection = connection
        self.socketPath = socketPath
        self.clientName = clientName
        self.timeout = timeout
    }

    deinit {
        connection.close()
    }

    /// Sends one request and waits for its answer.
    ///
    /// Encodes an `RPCRequest<P>`, reads lines until the response with the same id (skipping
    /// notifications and answers to requests that timed out earlier), and decodes an
    /// `RPCResponse<R>`; an `error` in it becomes ``SchedulerClientError/rpc(_:)``.
    public func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: RPCMethod, _ params: P, as: R.Type
    ) throws(SchedulerClientError) -> R {
        try call(method, params, as: R.self, deadline: timeout.map { ContinuousClock.now + $0 })
    }

    /// ``call(_:_:as:)`` that gives up at `deadline` (the sooner of it and the client's timeout).
    func call<P: Codable & Sendable, R: Codable & Sendable>(
        _ method: RPCMethod, _ params: P, as: R.Type, deadline: ContinuousClock.Instant?
    ) throws(SchedulerClientError) -> R {
        let own = timeout.map { ContinuousClock.now + $0 }
        let deadline = [deadline, own].compactMap { $0 }.min()
        return try nextID.withLock { (nextID: inout Int) throws(SchedulerClientError) -> R in
            let id = nextID
            nextID += 1
            return try Self.exchange(connection, id: id, method, params, as: R.self, deadline: deadline)
        }
    }

    /// Queues a job.
    public func submit(_ spec: JobSpec) throws(SchedulerClientError) -> SubmitResult {
        try call(.submit, SubmitParams(spec: spec), as: SubmitResult.self)
    }

    /// All jobs, without their tasks.
    public func jobs() throws(SchedulerClientError) -> [JobInfo] {
        try jobList().jobs
    }

    /// All jobs, without their tasks, with the number of the last event the list reflects.
    public func jobList() throws(SchedulerClientError) -> JobList {
        try call(.listJobs, Empty(), as: JobList.self)
    }

    /// A page of a job's tasks (with the job): `offset ..< offset + limit`.
    public func tasks(of id: JobID, offset: Int, limit: Int) throws(SchedulerClientError) -> JobInfo {
        try call(.getJob, JobQuery(jobID: id, includeTasks: true, taskOffset: offset, taskLimit: limit), as: JobInfo.self)
    }

    /// A page of a job's tasks as list rows (`task_rows`): a fraction of the bytes of ``tasks(of:offset:limit:)``.
    public func taskRows(of id: JobID, offset: Int, limit: Int) throws(SchedulerClientError) -> JobInfo {
        try call(.getJob, JobQuery(jobID: id, includeTasks: true, taskOffset: offset, taskLimit: limit, rowsOnly: true), as: JobInfo.self)
    }

    /// A job; with `includeTasks`, all its tasks, fetched a page at a time.
    public func job(_ id: JobID, includeTasks: Bool = false) throws(SchedulerClientError) -> JobInfo {
        if includeTasks {
            var job = try tasks(of: id, offset: 0, limit: Self.taskPage)
            var all = job.tasks ?? []
            while all.count < job.taskCount {
                let page = try tasks(of: id, offset: all.count, limit: Self.taskPage).tasks ?? []
                if page.isEmpty { break }
                all += page
            }
            job.tasks = all
            return job
        }
        return try singleJob(id)
    }

    /// Tasks per `get_job` answer: well under the line limit, whatever the tasks hold.
    static let taskPage = 20_000

    private func singleJob(_ id: JobID) throws(SchedulerClientError) -> JobInfo {
        try call(.getJob, JobQuery(jobID: id, includeTasks: false), as: JobInfo.self)
    }

    /// One task, with up to `outputCap` bytes of each output stream (0 leaves them out); with
    /// `attempt`, that earlier attempt of it as it was kept.
    public func task(
        _ job: JobID, _ task: TaskIndex, outputCap: Int = Wire.defaultOutputCap, attempt: Int? = nil
    ) throws(SchedulerClientError) -> TaskInfo {
        try call(.getTask, TaskQuery(jobID: job, taskID: task, outputCap: outputCap, attempt: attempt), as: TaskInfo.self)
    }

    /// A byte range of a task's output (of an earlier attempt's, with `attempt`).
    public func readOutput(
        _ job: JobID, _ task: TaskIndex, stream: OutputStreamName, offset: Int64, length: Int, attempt: Int? = nil
    ) throws(SchedulerClientError) -> OutputChunk {
        try call(.readOutput, ReadOutputParams(
            jobID: job, taskID: task, stream: stream, offset: offset, length: length, attempt: attempt), as: OutputChunk.self)
    }

    /// Cancels a whole job, or one task of it.
    @discardableResult
    public func cancel(_ job: JobID, task: TaskIndex? = nil, message: String? = nil) throws(SchedulerClientError) -> CancelResult {
        try call(.cancel, CancelParams(jobID: job, taskID: task, message: message), as: CancelResult.self)
    }

    /// Queues a finished task again.
    public func retry(_ job: JobID, _ task: TaskIndex) throws(SchedulerClientError) {
        _ = try call(.retry, TaskRef(jobID: job, taskID: task), as: Empty.self)
    }

    /// Queues many finished tasks again in one round trip (and one commit): `tasks`, and every
    /// failed, timed-out and environment-error task of `failedOfJobs`.
    public func retryTasks(_ tasks: [TaskRef], failedOfJobs: [JobID] = []) throws(SchedulerClientError) -> RetryTasksResult {
        try call(.retryTasks, RetryTasksParams(tasks: tasks, failedOfJobs: failedOfJobs), as: RetryTasksResult.self)
    }

    /// The scheduler as a whole.
    public func status() throws(SchedulerClientError) -> SchedulerStatus {
        try call(.status, Empty(), as: SchedulerStatus.self)
    }

    /// Asks the scheduler to stop.
    public func shutdown() throws(SchedulerClientError) {
        _ = try call(.shutdown, Empty(), as: Empty.self)
    }

    /// Closes the connection; a call blocked in another thread fails with `connectionLost`.
    public func close() {
        connection.close()
    }

    /// Opens a second connection dedicated to events: `hello`, then `subscribe` from `afterSeq`
    /// (nil: live events only), then notifications. Uses this client's socket, name and timeout
    /// (the timeout for the handshake only).
    public func subscribe(afterSeq: UInt64?) throws(SchedulerClientError) -> EventSubscription {
        try EventSubscription(socketPath: socketPath, clientName: clientName, params: SubscribeParams(afterSeq: afterSeq), timeout: timeout)
    }

    /// Subscribes to what `params` selects; the scheduler filters, so a waiter for one job's
    /// completion is sent that one event, not the whole stream.
    public func subscribe(_ params: SubscribeParams) throws(SchedulerClientError) -> EventSubscription {
        try EventSubscription(socketPath: socketPath, clientName: clientName, params: params, timeout: timeout)
    }

    /// ``subscribe(_:)`` whose handshake gives up at `deadline` too.
    func subscribe(_ params: SubscribeParams, deadline: ContinuousClock.Instant?) throws(SchedulerClientError) -> EventSubscription {
        let limit = deadline.map { ContinuousClock.now.duration(to: $0) }
        let handshake = [limit, timeout].compactMap { $0 }.min().map { max($0, .milliseconds(1)) }
        return try EventSubscription(socketPath: socketPath, clientName: clientName, params: params, timeout: handshake)
    }

    // MARK: - Exchanges shared with EventSubscription

    static func greet(_ connection: SocketLineConnection, clientName: String, timeout: Duration?) throws(SchedulerClientError) -> HelloResult {
        let hello = try exchange(
            connection, id: 0, .hello, HelloParams(client: clientName), as: HelloResult.self,
            deadline: timeout.map { ContinuousClock.now + $0 })
        guard hello.version == Wire.protocolVersion else {
            throw .protocolError("the scheduler speaks protocol version \(hello.version); this client speaks \(Wire.protocolVersion)")
        }
        return hello
    }

    /// Writes one request and reads until its response. Notifications met on the way go to
    /// `notification` (the subscribe handshake keeps them) or are skipped.
    static func exchange<P: Codable & Sendable, R: Codable & Sendable>(
        _ connection: SocketLineConnection, id: Int, _ method: RPCMethod, _ params: P, as: R.Type,
        deadline: ContinuousClock.Instant?,
        notification: ((Data, RPCEnvelope) throws(SchedulerClientError) -> Void)? = nil
    ) throws(SchedulerClientError) -> R {
        let request: Data
        do {
            request = try Wire.encoder().encode(RPCRequest(id: id, method: method, params: params))
        } catch {
            throw .protocolError("cannot encode the \(method.rawValue) request: \(error)")
        }
        guard request.count <= Wire.maxLineBytes else {
            throw .protocolError("the \(method.rawValue) request is \(request.count >> 20) MiB; the scheduler takes at most \(Wire.maxLineBytes >> 20) MiB in one request (split the job)")
        }
        try connection.writeLine(request, deadline: deadline)
        let decoder = Wire.decoder()
        while true {
            let line = try connection.readLine(deadline: deadline)
            let envelope = try decodeLine(RPCEnvelope.self, from: line, decoder: decoder, what: "a message")
            if envelope.id == id {
                if let error = envelope.error { throw .rpc(error) }
                let response = try decodeLine(RPCResponse<R>.self, from: line, decoder: decoder, what: "the answer to \(method.rawValue)")
                guard let result = response.result else {
                    throw .protocolError("the answer to \(method.rawValue) has neither a result nor an error")
                }
                return result
            }
            if envelope.id == nil, let method = envelope.method, !method.isEmpty {
                try notification?(line, envelope)
                continue
            }
            // An error about no request in particular (a refused peer, an over-long line) ends the
            // conversation; anything else is an answer to an earlier request that timed out.
            if envelope.id == nil, let error = envelope.error { throw .rpc(error) }
        }
    }

    static func decodeLine<T: Decodable>(_ type: T.Type, from line: Data, decoder: JSONDecoder, what: String) throws(SchedulerClientError) -> T {
        do {
            return try decoder.decode(T.self, from: line)
        } catch {
            let preview = String(decoding: line.prefix(200), as: UTF8.self)
            throw .protocolError("cannot read \(what) from the scheduler (\(error)): \(preview)")
        }
    }
}
