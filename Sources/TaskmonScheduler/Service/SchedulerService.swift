import Foundation
import Synchronization
import TaskmonKit

/// Answers protocol requests: decodes each line, asks the scheduler, encodes the answer.
final class SchedulerService: ConnectionHandler {
    private let scheduler: Scheduler
    private let hub: EventHub
    private let stateDirectory: StateDirectory
    private let slots: Int
    private let onShutdown: @Sendable () -> Void
    /// Connections that have said hello with a version we speak.
    private let greeted = Mutex<Set<Int>>([])

    init(scheduler: Scheduler, hub: EventHub, stateDirectory: StateDirectory, slots: Int, onShutdown: @escaping @Sendable () -> Void) {
        self.scheduler = scheduler
        self.hub = hub
        self.stateDirectory = stateDirectory
        self.slots = slots
        self.onShutdown = onShutdown
    }

    func handle(line: Data, connection: ServerConnection) async -> Data? {
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
        if method != .hello && !greeted.withLock({ $0.contains(connection.id) }) {
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
        _ = greeted.withLock { $0.remove(connection.id) }
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
            _ = greeted.withLock { $0.insert(connection.id) }
            return try Self.resultLine(id: id, HelloResult(
                version: Wire.protocolVersion, schedulerPID: getpid(), stateDirectory: stateDirectory.path, slots: slots))
        case .submit:
            let spec = try Self.spec(from: line)
            return try Self.resultLine(id: id, try await scheduler.submit(spec))
        case .cancel:
            let params = try params(CancelParams.self, line)
            let result = try await scheduler.cancel(
                job: params.jobID, task: params.taskID, message: params.message, user: connection.peer.userName)
            return try Self.resultLine(id: id, result)
        case .retry:
            let params = try params(TaskRef.self, line)
            try await scheduler.retry(job: params.jobID, task: params.taskID)
            return try Self.resultLine(id: id, Empty())
        case .listJobs:
            await scheduler.commits.flushed()
            return try Self.resultLine(id: id, await scheduler.listJobs())
        case .getJob:
            let params = try params(JobQuery.self, line)
            await scheduler.commits.flushed()
            return try Self.resultLine(id: id, try await scheduler.job(
                params.jobID, includeTasks: params.includeTasks, offset: params.taskOffset, limit: params.taskLimit,
                rowsOnly: params.rowsOnly))
        case .getTask:
            let params = try params(TaskQuery.self, line)
            await scheduler.commits.flushed()
            let cap = max(0, min(params.outputCap, Wire.maxLineBytes / 4))
            return try Self.resultLine(id: id, try await scheduler.task(params.jobID, params.taskID, outputCap: cap))
        case .readOutput:
            let params = try params(ReadOutputParams.self, line)
            let location = try await scheduler.outputLocation(params.jobID, params.taskID, params.stream)
            let length = max(0, min(params.length, 16 << 20))
            let chunk = OutputFile.read(location.path, offset: params.offset, length: length)
            return try Self.resultLine(id: id, OutputChunk(
                offset: params.offset, data: chunk.data, size: chunk.size,
                complete: location.complete && params.offset + Int64(chunk.data.count) >= chunk.size))
        case .subscribe:
            let params = try params(SubscribeParams.self, line)
            // The answer must reach the client before the first event: queue it first,
            // then register (which may replay at once).
            let lastSeq = hub.lastSeq
            connection.sendUnconditionally(try Self.resultLine(id: id, SubscribeResult(lastSeq: lastSeq)))
            hub.subscribe(connection, afterSeq: params.afterSeq ?? lastSeq, filter: EventFilter(params))
            return nil
        case .status:
            await scheduler.commits.flushed()
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

extension ServerConnection: EventSink {}
