import Foundation
import Logging

/// A swift-log handler that appends one line per message to a file.
///
/// The demo's scheduler runs in the same process as the monitor, which owns the terminal:
/// a log line on stderr would be drawn into the middle of the monitor's screen.
struct FileLogHandler: LogHandler {
    /// Opened once with O_APPEND, so lines from several threads never interleave within a line.
    private let descriptor: Int32
    private let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    /// Opens (creating) `path` for appending; nil when it cannot be opened.
    static func open(path: String) -> Int32? {
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        return descriptor >= 0 ? descriptor : nil
    }

    init(label: String, descriptor: Int32) {
        self.label = label
        self.descriptor = descriptor
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let suffix = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let line = "\(time) \(event.level) \(label): \(event.message)\(suffix)\n"
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
