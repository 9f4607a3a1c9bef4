import Foundation
import TaskmonKit

/// Answers protocol requests: decodes each line, asks the scheduler, encodes the answer.
final class SchedulerService: ConnectionHandler {
    private let scheduler: Scheduler
    private let hub: EventHub
    private let stateDirectory: StateDirectory
    private let slots: Int
    private let onShutdown: @Sendable () -> Void
    /// Opened once recovery is done; requests wait for it.
    private let ready: AsyncGate

    init(
        scheduler: Scheduler, hub: EventHub, stateDirectory: StateDirectory, slots: Int, ready: AsyncGate = AsyncGate(open: true),
        onShutdown: @escaping @Sendable () -> Void
    ) {
        self.ready = ready
        self.scheduler = scheduler
        self.hub = hub
        self.stateDirectory = stateDirectory
        self.slots = slots
        self.onShutdown = onShutdown
    }

    func handle(line: Data, connection: ServerConnection) async -> Data? {
        await ready.wait()
        let envelope: RPCEnvelope
        do {
            envelope = try Wire.decoder().decode(RPCEnvelope.self, from: line)
        } catch {
            return Self.errorLine(id: nil, RPCError(.parseError, "not a JSON-RPC request: \(error)"))
        }
        guard let id = envelope.id, let name = envelope.method else {
            return Self.errorLine(id: envelope.id, RPCError(.invalidRequest, "a request needs an id and a method"))
        }
        guard let method = RPCMethod(rawValue: name) else {
            return Self.errorLine(id: id, RPCError(.methodNotFound, "unknown method \(name)"))
        }
        if method != .hello && !connection.isGreeted {
            return Self.errorLine(id: id, RPCError(.helloRequired, "say hello first, with the protocol version (\(Wire.protocolVersion))"))
        }
        do {
            return try await answer(method, id: id, line: line, connection: connection)
        } catch let error as RPCError {
            return Self.errorLine(id: id, error)
        } catch let error as SchedulerRequestError {
            return Self.errorLine(id: id, RPCError(error.code, error.description))
        } catch let error as JobSpecError {
            return Self.errorLine(id: id, RPCError(.invalidSpec, error.description))
        } catch let error as DecodingError {
            return Self.errorLine(id: id, RPCError(.invalidParams, "bad parameters for \(name): \(Self.describe(error))"))
        } catch {
            return Self.errorLine(id: id, RPCError(.internalError, "\(error)"))
        }
    }

    func connectionClosed(_ connection: ServerConnection) async {
        hub.unsubscribe(connection)
    }

    private func answer(_ method: RPCMethod, id: Int, line: Data, connection: ServerConnection) async throws -> Data? {
        switch method {
        case .hello:
            let params = try params(HelloParams.self, line)
            guard params.version == Wire.protocolVersion else {
                throw RPCError(.unsupportedVersion,
                    "unsupported protocol version \(params.version); this scheduler speaks version \(Wire.protocolVersion)")
            }
            connection.markGreeted()
            return try Self.resultLine(id: id, HelloResult(
                version: Wire.protocolVersion, schedulerPID: getpid(), stateDirectory: stateDirectory.path, slots: slots))
        case .submit:
            let spec = try Self.spec(from: line)
            let result = try await scheduler.submit(spec)
            // Answered only once durable: a job acknowledged and then lost to a crash would
            // leave its id to the next job.
            try await committed("job \(result.jobID)")
            return try Self.resultLine(id: id, result)
        case .cancel:
            let params = try checked(CancelParams.self, line, WireLimits.problem)
            let result = try await scheduler.cancel(
                job: params.jobID, task: params.taskID, message: params.message.map(JobSpecLimits.clippedMessage),
                user: connection.peer.userName)
            try await committed("the cancel of job \(params.jobID)")
            return try Self.resultLine(id: id, result)
        case .retry:
            let params = try checked(TaskRef.self, line, WireLimits.problem)
            try await scheduler.retry(job: params.jobID, task: params.taskID)
            try await committed("the retry of task \(params.jobID)/\(params.taskID)")
            return try Self.resultLine(id: id, Empty())
        case .retryTasks:
            let params = try checked(RetryTasksParams.self, line, WireLimits.problem)
            let result = await scheduler.retry(params.tasks.map { TaskKey(job: $0.jobID, task: $0.taskID) }, failedOf: params.failedOfJobs)
            if result.retried > 0 { try await committed("the retry of \(result.retried) tasks") }
            return try Self.resultLine(id: id, result)
        case .listJobs:
            await settled()
            return try Self.resultLine(id: id, await scheduler.listJobs())
        case .getJob:
            let params = try checked(JobQuery.self, line, WireLimits.problem)
            await settled()
            return try JobInfoJSON.resultLine(id: id, try await scheduler.job(
                params.jobID, includeTasks: params.includeTasks, offset: params.taskOffset, limit: params.taskLimit,
                rowsOnly: params.rowsOnly))
        case .getTask:
            let params = try checked(TaskQuery.self, line, WireLimits.problem)
            await settled()
            let cap = min(params.outputCap, WireLimits.maxOutputCap)
            return try Self.resultLine(id: id, try await scheduler.task(params.jobID, params.taskID, outputCap: cap, attempt: params.attempt))
        case .readOutput:
            let params = try checked(ReadOutputParams.self, line, WireLimits.problem)
            let location = try await scheduler.outputLocation(params.jobID, params.taskID, params.stream, attempt: params.attempt)
            let length = min(params.length, WireLimits.maxOutputChunk)
            let chunk = OutputFile.read(location.path, offset: params.offset, length: length)
            return try Self.resultLine(id: id, OutputChunk(
                offset: params.offset, data: chunk.data, size: chunk.size,
                complete: location.complete && params.offset + Int64(chunk.data.count) >= chunk.size))
        case .subscribe:
            let params = try checked(SubscribeParams.self, line, WireLimits.problem)
            // The answer must reach the client before the first event: queue it first,
            // then register (which may replay at once).
            let lastSeq = hub.lastSeq
            connection.sendUnconditionally(try Self.resultLine(id: id, SubscribeResult(lastSeq: lastSeq)))
            await hub.subscribePaced(connection, afterSeq: params.afterSeq ?? lastSeq, filter: EventFilter(params))
            return nil
        case .status:
            // Never waits long: while the database cannot be written, status is how one learns why.
            _ = await scheduler.commits.flushed(within: .milliseconds(500))
            return try Self.resultLine(id: id, await scheduler.status())
        case .shutdown:
            // Stopping the server drops unwritten lines: let the answer reach the client first.
            connection.sendUnconditionally(try Self.resultLine(id: id, Empty()))
            let onShutdown = self.onShutdown
            Task {
                for _ in 0..<200 where connection.queuedBytes > 0 && !connection.isClosed {
                    try? await Task.sleep(for: .milliseconds(5))
                }
                onShutdown()
            }
            return nil
        }
    }

    private func params<P: Decodable>(_ type: P.Type, _ line: Data) throws -> P {
        try Wire.decoder().decode(ParamsOnly<P>.self, from: line).params
    }

    /// The params, refused with `invalid_params` when a number is out of range.
    private func checked<P: Decodable>(_ type: P.Type, _ line: Data, _ problem: (P) -> String?) throws -> P {
        let params = try params(type, line)
        if let problem = problem(params) { throw RPCError(.invalidParams, problem) }
        return params
    }

    /// Returns once what the scheduler did for a request is committed. While the database
    /// cannot be written, answers with a `storage_error` after a while instead of hanging:
    /// the change waits in memory and is written once the database can take it.
    private func committed(_ what: String) async throws {
        let commits = scheduler.commits
        var waited = 0
        while !(await commits.flushed(within: .seconds(1))) {
            waited += 1
            if waited >= Self.storagePatience, let problem = commits.storageError {
                throw RPCError(.storageError, "\(what) is not stored yet: \(problem). It is kept in memory and stored once the database can be written; a crash before then loses it")
            }
        }
    }

    /// Seconds a change waits for a failing database before its request is answered with an error.
    static let storagePatience = 5

    /// Lets what is being committed land before a snapshot, so that its `last_seq` is soon
    /// published; bounded, so that queries still answer while the database cannot be written.
    private func settled() async {
        _ = await scheduler.commits.flushed(within: .seconds(2))
    }

    /// The spec inside a submit request, read as strictly as a spec file; errors name the key
    /// within the spec (`tasks[3].command`), not within the request.
    private static func spec(from line: Data) throws -> JobSpec {
        do {
            return try Wire.decoder().decode(RPCRequest<SubmitParams>.self, from: line).params.spec
        } catch let error as DecodingError {
            if case .keyNotFound(let key, let context) = error, context.codingPath.count < 2 {
                throw RPCError(.invalidParams, "submit needs params.spec (missing \(key.stringValue))")
            }
            throw JobSpecError(decoding: error, source: Scheduler.submittedSpecSource, dropping: 2)
        }
    }

    static func resultLine<R: Codable & Sendable>(id: Int, _ result: R) throws -> Data {
        try Wire.encoder().encode(RPCResponse(id: id, result: result))
    }

    static func errorLine(id: Int?, _ error: RPCError) -> Data {
        (try? Wire.encoder().encode(RPCResponse<Empty>(id: id, error: error))) ?? Data()
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing \(key.stringValue)"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.map(\.stringValue).joined(separator: ".") + ": " + context.debugDescription
        @unknown default: "\(error)"
        }
    }
}

private struct ParamsOnly<P: Decodable>: Decodable {
    var params: P
}

extension ServerConnection: EventSink {
    var hasRoom: Bool { queuedBytes <= outboundLimit / 2 }

    func abandon() {
        // Later than the resync notice, so that a reader that wakes up still finds it.
        let connection = self
        Task {
            try? await Task.sleep(for: .seconds(5))
            connection.close()
        }
    }
}
