import Foundation
import Testing
import TaskmonKit
@testable import TaskmonMonitor

/// A finished stream is read from its spool file; anything odd keeps the scheduler's path.
@Suite struct SpoolOutputSourceTests {
    /// A state dir with `output/1/0.stdout` holding `text` (or a link to `linkTarget`).
    func stateDirectory(_ text: String?, linkTarget: String? = nil) throws -> StateDirectory {
        let root = NSTemporaryDirectory() + "tm-spool-\(UUID().uuidString)"
        let directory = StateDirectory(path: root)
        try FileManager.default.createDirectory(atPath: directory.jobOutputPath(1), withIntermediateDirectories: true)
        let path = directory.taskSpool(job: 1, task: 0) + ".stdout"
        if let text { try text.write(toFile: path, atomically: false, encoding: .utf8) }
        if let linkTarget { try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: linkTarget) }
        return directory
    }

    @Test func aCompleteStreamIsReadFromTheFileThen() throws {
        // The "scheduler" and the file differ in one byte: which one answers shows the path.
        let remote = MemoryOutputSource("remote line\n", complete: true)
        let directory = try stateDirectory("spooled line\n".replacingOccurrences(of: "spooled", with: "local!"))
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let source = SpoolOutputSource(remote: remote, job: 1, task: 0, stream: .stdout, stateDirectory: directory)
        #expect(String(decoding: try source.read(offset: 0, length: 100).data, as: UTF8.self) == "remote line\n")
        #expect(source.readsLocally, "complete, and the file has the stream's size")
        let again = try source.read(offset: 0, length: 100)
        #expect(String(decoding: again.data, as: UTF8.self) == "local! line\n")
        #expect(again.complete && again.size == 12)
    }

    @Test func aRunningStreamStaysWithTheScheduler() throws {
        let remote = MemoryOutputSource("partial\n", complete: false)
        let directory = try stateDirectory("partial\n")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let source = SpoolOutputSource(remote: remote, job: 1, task: 0, stream: .stdout, stateDirectory: directory)
        _ = try source.read(offset: 0, length: 100)
        #expect(!source.readsLocally)
    }

    @Test func aSymlinkedSpoolFileIsNotFollowed() throws {
        let secret = NSTemporaryDirectory() + "tm-secret-\(UUID().uuidString)"
        try "secret!\n".write(toFile: secret, atomically: false, encoding: .utf8)
        defer { unlink(secret) }
        let remote = MemoryOutputSource("visible\n", complete: true)
        let directory = try stateDirectory(nil, linkTarget: secret)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let source = SpoolOutputSource(remote: remote, job: 1, task: 0, stream: .stdout, stateDirectory: directory)
        _ = try source.read(offset: 0, length: 100)
        #expect(!source.readsLocally)
        #expect(String(decoding: try source.read(offset: 0, length: 100).data, as: UTF8.self) == "visible\n")
    }

    @Test func aFileOfAnotherSizeIsNotTheStream() throws {
        let remote = MemoryOutputSource("short\n", complete: true)
        let directory = try stateDirectory("a different, longer file\n")
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        let source = SpoolOutputSource(remote: remote, job: 1, task: 0, stream: .stdout, stateDirectory: directory)
        _ = try source.read(offset: 0, length: 100)
        #expect(!source.readsLocally)
    }
}
