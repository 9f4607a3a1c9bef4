import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit
@testable import TaskmonScheduler

@Suite("The protocol as a raw peer sees it")
struct ProtocolTests {
    /// Sends raw lines on a fresh connection and returns one answer line per request.
    func exchange(_ scheduler: TestScheduler, _ lines: [String]) async throws -> [[String: Any]] {
        let path = scheduler.directory.socketPath
        let answers = try await offPool { () -> [Data] in
            let connection = try SocketLineConnection(path: path)
            defer { connection.close() }
            var answers: [Data] = []
            for line in lines {
                try connection.writeLine(Data(line.utf8))
                answers.append(try connection.readLine(deadline: .now + .seconds(10)))
            }
            return answers
        }
        return try answers.map { try #require(try JSONSerialization.jsonObject(with: $0) as? [String: Any]) }
    }

    func error(_ answer: [String: Any]) -> (code: Int, message: String)? {
        guard let error = answer["error"] as? [String: Any] else { return nil }
        return (error["code"] as? Int ?? 0, error["message"] as? String ?? "")
    }

    @Test("an unknown protocol version gets a clear error naming both versions")
    func unknownVersion() async throws {
        try await withScheduler { scheduler in
            let answers = try await exchange(scheduler, [#"{"jsonrpc":"2.0","id":1,"method":"hello","params":{"version":99,"client":"old"}}"#])
            let problem = try #require(error(answers[0]))
            #expect(problem.code == RPCErrorCode.unsupportedVersion.rawValue)
            #expect(problem.message == "unsupported protocol version 99; this scheduler speaks version \(Wire.protocolVersion)")
        }
    }

    @Test("requests before hello, unknown methods, bad params and bad JSON get errors, not a crash")
    func badRequests() async throws {
        try await withScheduler { scheduler in
            let answers = try await exchange(scheduler, [
                #"{"jsonrpc":"2.0","id":1,"method":"list_jobs","params":{}}"#,
                #"{"jsonrpc":"2.0","id":2,"method":"hello","params":{"version":1,"client":"raw"}}"#,
                #"{"jsonrpc":"2.0","id":3,"method":"launch_missiles","params":{}}"#,
                #"{"jsonrpc":"2.0","id":4,"method":"get_task","params":{"job_id":"one"}}"#,
                #"{"jsonrpc":"2.0","id":5,"method":"get_job","params":{"job_id":7,"include_tasks":false}}"#,
                "this is not json",
                #"{"jsonrpc":"2.0","id":6,"method":"list_jobs","params":{}}"#,
            ])
            #expect(error(answers[0])?.code == RPCErrorCode.helloRequired.rawValue)
            #expect(error(answers[1]) == nil)
            #expect(error(answers[2])?.code == RPCErrorCode.methodNotFound.rawValue)
            #expect(error(answers[3])?.code == RPCErrorCode.invalidParams.rawValue)
            #expect(error(answers[4])?.code == RPCErrorCode.notFound.rawValue)
            #expect(error(answers[4])?.message == "no job 7")
            #expect(error(answers[5])?.code == RPCErrorCode.parseError.rawValue)
            #expect(error(answers[6]) == nil)
            #expect((answers[6]["result"] as? [String: Any])?["jobs"] as? [Any] != nil)
        }
    }
}
