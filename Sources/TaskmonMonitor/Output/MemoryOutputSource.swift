import Foundation
import Synchronization
import TaskmonKit

/// A stream held in memory that can grow, finish, start over and fail: the test double for
/// ``OutputDocument``, also handy for screen tests and previews. Answers like the scheduler.
package final class MemoryOutputSource: OutputSource, Sendable {
    /// What a read throws while the source is told to fail.
    package struct Failure: Error, CustomStringConvertible, Equatable {
        package var description: String
    }

    private struct State {
        var bytes: [UInt8]
        var complete: Bool
        var failure: String?
    }

    private let state: Mutex<State>

    /// A stream holding `bytes`; `complete`: the task finished.
    package init(_ bytes: [UInt8] = [], complete: Bool = false) {
        state = Mutex(State(bytes: bytes, complete: complete))
    }

    /// A stream holding `text` as UTF-8.
    package convenience init(_ text: String, complete: Bool = false) {
        self.init(Array(text.utf8), complete: complete)
    }

    /// The whole stream as it is now.
    package var bytes: [UInt8] { state.withLock { $0.bytes } }

    /// The task writes more.
    package func append(_ more: [UInt8]) { state.withLock { $0.bytes += more } }
    /// The task writes `text` as UTF-8.
    package func append(_ text: String) { append(Array(text.utf8)) }

    /// The task finished (true) or was started again (false).
    package func setComplete(_ complete: Bool) { state.withLock { $0.complete = complete } }

    /// The output starts over, as on a retry: the stream becomes `bytes`.
    package func restart(with bytes: [UInt8] = [], complete: Bool = false) {
        state.withLock {
            $0.bytes = bytes
            $0.complete = complete
        }
    }

    /// Every read throws `Failure(message)` from now on; nil makes reads work again.
    package func setFailure(_ message: String?) { state.withLock { $0.failure = message } }

    package func read(offset: Int64, length: Int) throws -> OutputChunk {
        try state.withLock { state throws(Failure) in
            if let failure = state.failure { throw Failure(description: failure) }
            let size = Int64(state.bytes.count)
            let start = Int(min(max(0, offset), size))
            let end = Int(min(size, Int64(start) + Int64(max(0, min(length, 16 << 20)))))
            return OutputChunk(offset: offset, data: Data(state.bytes[start..<end]), size: size,
                               complete: state.complete && Int64(end) >= size)
        }
    }
}
