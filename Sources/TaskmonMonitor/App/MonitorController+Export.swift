import Foundation
import TaskmonKit
#if canImport(Glibc)
import Glibc
#endif

/// Something the run loop does on the terminal itself, after the frame: only it may touch it.
package enum TerminalRequest: Equatable {
    /// Bytes written as they are: an OSC 52 copy, a notification.
    case write([UInt8])
    /// Runs `$PAGER` (else `less`) on a file, giving it the terminal until it exits;
    /// `removeAfter` deletes the file then (a temporary copy).
    case pager(path: String, removeAfter: Bool)
}

/// A tab to save: which task, which tab, and how the prompt names it.
struct SaveTarget: Equatable {
    var job: JobID
    var task: TaskIndex
    var tab: DetailTab

    var what: String { "\(tab.title.lowercased()) of task \(job)/\(task)" }

    /// `taskmon-12-3.stdout` in the current directory.
    var defaultFileName: String {
        let suffix: String = switch tab {
        case .output: "stdout"
        case .errors: "stderr"
        default: tab.title.lowercased() + ".txt"
        }
        return "taskmon-\(job)-\(task).\(suffix)"
    }
}

extension MonitorController {
    // MARK: Pager, save, copy

    func export(_ action: Action, now: Date) {
        guard let screen = detail else { return }
        switch action {
        case .pager:
            if screen.tab.isStream, let source = streamSource(screen), let local = source.localPath {
                terminalRequests.append(.pager(path: local, removeAfter: false))
                return
            }
            do {
                let path = try writeTemporary(screen)
                terminalRequests.append(.pager(path: path, removeAfter: true))
            } catch {
                show("cannot open the pager: \(error)", isError: true, now: now)
            }
        case .save:
            let target = SaveTarget(job: screen.jobID, task: screen.taskID, tab: screen.tab)
            overlay = .prompt(Prompt(purpose: .save(target), text: target.defaultFileName))
        case .copy:
            guard let text = currentLine(screen, now: now), !text.isEmpty else {
                show("nothing to copy", isError: false, now: now)
                return
            }
            terminalRequests.append(.write(Self.osc52(text, inTmux: inTmux)))
            show("copied \(text.count) characters (OSC 52)", isError: false, now: now)
        default:
            break
        }
    }

    /// Writes the tab to `path` (relative to the monitor's directory), refusing to overwrite.
    func save(_ target: SaveTarget, to path: String, now: Date) {
        let path = (path.trimmingCharacters(in: .whitespaces) as NSString).expandingTildeInPath
        guard !path.isEmpty, let screen = detail, screen.jobID == target.job, screen.taskID == target.task else {
            show("nothing saved", isError: false, now: now)
            return
        }
        var copy = screen
        copy.tab = target.tab
        do {
            let bytes = try write(copy, to: path, exclusive: true)
            show("saved \(Formatting.bytes(bytes)) to \(path)", isError: false, now: now)
        } catch {
            show("cannot save to \(path): \(error)", isError: true, now: now)
        }
    }

    private func streamSource(_ screen: TaskDetailScreen) -> (source: any OutputSource, localPath: String?)? {
        guard let source = outputSource?(screen.jobID, screen.taskID, screen.tab == .output ? .stdout : .stderr, screen.attempt) else { return nil }
        // A finished stream read from its spool file can go to the pager as it is.
        if let spool = source as? SpoolOutputSource {
            _ = try? spool.read(offset: Int64(1) << 50, length: 0)
            return (source, spool.readsLocally ? spool.localPath : nil)
        }
        return (source, nil)
    }

    /// A copy of the tab in a new private temporary file.
    private func writeTemporary(_ screen: TaskDetailScreen) throws -> String {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(directory)/taskmon-\(screen.jobID)-\(screen.taskID)-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ExportError(String(cString: strerror(errno))) }
        close(fd)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        do {
            _ = try write(screen, to: path, exclusive: false)
        } catch {
            unlink(path)
            throw error
        }
        return path
    }

    /// Writes the tab's content: a stream byte for byte (raw, as `taskmon output` does), a
    /// text tab as its sanitized lines. Returns the bytes written.
    private func write(_ screen: TaskDetailScreen, to path: String, exclusive: Bool) throws -> Int64 {
        let flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (exclusive ? O_CREAT | O_EXCL : O_TRUNC)
        let fd = open(path, flags, 0o600)
        guard fd >= 0 else { throw ExportError(String(cString: strerror(errno))) }
        defer { close(fd) }
        var written: Int64 = 0
        func put(_ bytes: UnsafeRawBufferPointer) throws {
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw ExportError(String(cString: strerror(errno))) }
                offset += n
            }
            written += Int64(bytes.count)
        }
        if screen.tab.isStream {
            guard let (source, _) = streamSource(screen) else { throw ExportError("not connected to the scheduler") }
            var offset: Int64 = 0
            while true {
                let chunk = try source.read(offset: offset, length: 4 << 20)
                if chunk.data.isEmpty { break }
                try chunk.data.withUnsafeBytes { try put($0) }
                offset += Int64(chunk.data.count)
                if offset >= chunk.size { break }
            }
        } else {
            guard let task = screen.task else { throw ExportError("the task is still loading") }
            let text = screen.lines(task, now: Date())
                .map { TerminalText.sanitize($0, options: .init(keepsColors: false, overlaysCarriageReturns: true)).text }
                .joined(separator: "\n") + "\n"
            try Array(text.utf8).withUnsafeBytes { try put($0) }
        }
        return written
    }

    /// The line `y` copies: the one with the match the search went to, else the top one.
    private func currentLine(_ screen: TaskDetailScreen, now: Date) -> String? {
        if screen.tab.isStream {
            guard let document = screen.documents[screen.tab] else { return nil }
            let lines = document.viewport(screen.outputLayout).lines
            let line = lines.first { $0.currentMatch != nil } ?? lines.first
            return line.map { TerminalText.sanitize(String(decoding: $0.bytes, as: UTF8.self)).text }
        }
        guard let task = screen.task else { return nil }
        let lines = screen.lines(task, now: now)
        let rows = screen.textRows(task, now: now)
        let index = screen.textMatchLine ?? rows[safe: screen.textTop[screen.tab] ?? 0]?.line ?? 0
        return lines[safe: index].map { TerminalText.sanitize($0).text }
    }

    var inTmux: Bool { !(environment["TMUX"] ?? "").isEmpty }

    /// OSC 52 ("set the clipboard"), which terminals honour over SSH too; inside tmux sent
    /// twice: as it is (tmux takes it with `set-clipboard on`) and in its passthrough (which
    /// reaches the outer terminal with `allow-passthrough on`).
    static func osc52(_ text: String, inTmux: Bool) -> [UInt8] {
        let payload = Data(text.utf8.prefix(100_000)).base64EncodedString()
        return terminalSequence("\u{1B}]52;c;\(payload)\u{07}", inTmux: inTmux)
    }

    /// A sequence for the outer terminal; in tmux also wrapped in its passthrough.
    static func terminalSequence(_ sequence: String, inTmux: Bool) -> [UInt8] {
        guard inTmux else { return Array(sequence.utf8) }
        return Array((sequence + "\u{1B}Ptmux;" + sequence.replacingOccurrences(of: "\u{1B}", with: "\u{1B}\u{1B}") + "\u{1B}\\").utf8)
    }

    // MARK: Notifications

    /// Tells the user about watched jobs that ended in this batch of news: a desktop
    /// notification (OSC 9 and OSC 777, which terminals that know neither ignore) and a bell.
    func notifyFinished(except alreadyFinished: Set<JobID>, now: Date) {
        for id in watched.sorted() where !alreadyFinished.contains(id) {
            guard let job = model.jobs[id], job.info.finishedAt != nil else { continue }
            watched.remove(id)
            let failed = job.failedCount
            let text = TerminalText.sanitize("taskmon: job \(id) \(job.info.name) ended" + (failed > 0 ? ", \(failed) failed" : "")).text
                .replacingOccurrences(of: ";", with: ",")
            var bytes = Self.terminalSequence("\u{1B}]9;\(text)\u{07}", inTmux: inTmux)
            bytes += Self.terminalSequence("\u{1B}]777;notify;taskmon;\(text)\u{07}", inTmux: inTmux)
            bytes.append(0x07)
            terminalRequests.append(.write(bytes))
            show(text, isError: failed > 0, now: now)
        }
    }
}

struct ExportError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
