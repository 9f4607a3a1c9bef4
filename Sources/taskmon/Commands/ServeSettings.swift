import ArgumentParser
import Foundation
import TOMLKit

/// `--backend`'s values.
enum BackendName: String, ExpressibleByArgument, CaseIterable {
    case local, slurm
}

/// What `taskmon serve` runs with: its options, else the `[serve]` table of
/// `$XDG_CONFIG_HOME/taskmon/config.toml` (`backend`, `slots`, `memory_mb`, `partition`,
/// `slurm_conf`, `spool`, `poll_interval`), else the defaults.
struct ServeSettings: Equatable {
    var backend: BackendName
    var slots: Int
    var partition: String?
    var slurmConf: String?
    var spool: String?
    var pollInterval: Double
    /// Megabytes the memory asks of running tasks may add up to; nil: this machine's memory.
    var memoryMB: Int? = nil

    /// Merges and checks; every problem names the option or the config file and key.
    static func resolve(_ serve: Serve, environment: [String: String]) throws -> ServeSettings {
        let config = try ServeConfigFile.load(environment: environment)
        let backend = serve.backend ?? config.backend ?? .local
        let slots = serve.slots ?? config.slots ?? (backend == .slurm ? 10_000 : ProcessInfo.processInfo.activeProcessorCount)
        let settings = ServeSettings(
            backend: backend, slots: slots, partition: serve.partition ?? config.partition,
            slurmConf: (serve.slurmConf ?? config.slurmConf).map { URL(fileURLWithPath: $0).standardizedFileURL.path },
            spool: serve.spool ?? config.spool, pollInterval: serve.pollInterval ?? config.pollInterval ?? 1,
            memoryMB: serve.memoryMB ?? config.memoryMB)
        if let memory = settings.memoryMB, memory < 1 {
            throw CLIError("--memory-mb (or memory_mb in \(config.source)) must be at least 1", code: 2)
        }
        guard settings.slots >= 1 else { throw CLIError("--slots (or slots in \(config.source)) must be at least 1", code: 2) }
        guard settings.pollInterval >= 0.05, settings.pollInterval <= 3600 else {
            throw CLIError("--poll-interval (or poll_interval in \(config.source)) must be between 0.05 and 3600 seconds", code: 2)
        }
        if backend == .local, settings.partition != nil || settings.slurmConf != nil {
            throw CLIError("--partition and --slurm-conf (partition, slurm_conf in \(config.source)) need --backend slurm", code: 2)
        }
        if let conf = settings.slurmConf, !FileManager.default.isReadableFile(atPath: conf) {
            throw CLIError("the slurm.conf \(conf) is not a readable file", code: 2)
        }
        if let spool = settings.spool, !spool.hasPrefix("/") {
            throw CLIError("the spool \(spool) must be an absolute path (compute nodes see it too)", code: 2)
        }
        return settings
    }
}

/// The `[serve]` table of the config file, when there is one.
struct ServeConfigFile {
    var source = "the config file"
    var backend: BackendName?
    var slots: Int?
    var partition: String?
    var slurmConf: String?
    var spool: String?
    var pollInterval: Double?
    var memoryMB: Int?

    static func path(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") { return xdg + "/taskmon/config.toml" }
        return environment["HOME"].flatMap { $0.isEmpty ? nil : $0 + "/.config/taskmon/config.toml" }
    }

    static func load(environment: [String: String]) throws -> ServeConfigFile {
        guard let path = path(environment: environment), FileManager.default.fileExists(atPath: path) else { return ServeConfigFile() }
        var file = ServeConfigFile(source: path)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            throw CLIError("\(path): \(error)", code: 2)
        }
        guard let serve = table["serve"] else { return file }
        guard let serve = serve.table else { throw CLIError("\(path): serve must be a table ([serve])", code: 2) }
        func string(_ key: String) throws -> String? {
            guard let value = serve[key] else { return nil }
            guard let text = value.string else { throw CLIError("\(path): serve.\(key) must be a string", code: 2) }
            return text
        }
        if let name = try string("backend") {
            guard let backend = BackendName(rawValue: name) else {
                throw CLIError("\(path): serve.backend must be \"local\" or \"slurm\", not \"\(name)\"", code: 2)
            }
            file.backend = backend
        }
        file.partition = try string("partition")
        file.slurmConf = try string("slurm_conf")
        file.spool = try string("spool")
        if let value = serve["slots"] {
            guard let slots = value.int else { throw CLIError("\(path): serve.slots must be an integer", code: 2) }
            file.slots = slots
        }
        if let value = serve["memory_mb"] {
            guard let megabytes = value.int else { throw CLIError("\(path): serve.memory_mb must be an integer", code: 2) }
            file.memoryMB = megabytes
        }
        if let value = serve["poll_interval"] {
            guard let seconds = value.double ?? value.int.map(Double.init) else {
                throw CLIError("\(path): serve.poll_interval must be a number of seconds", code: 2)
            }
            file.pollInterval = seconds
        }
        for key in serve.keys where !["backend", "slots", "memory_mb", "partition", "slurm_conf", "spool", "poll_interval"].contains(key) {
            throw CLIError("\(path): unknown key serve.\(key) (known: backend, slots, memory_mb, partition, slurm_conf, spool, poll_interval)", code: 2)
        }
        return file
    }
}
