import Foundation

/// A spec that cannot be accepted, with where: the file (or other source) and the key path.
public struct JobSpecError: Error, Equatable, CustomStringConvertible {
    public var source: String
    public var key: String?
    public var problem: String

    public init(source: String, key: String?, problem: String) {
        self.source = source
        self.key = key
        self.problem = problem
    }

    public var description: String {
        if let key { return "\(source): \(key): \(problem)" }
        return "\(source): \(problem)"
    }
}

extension JobSpec {
    /// Reads a spec strictly: unknown keys, wrong types and an empty task list are errors that
    /// name `source` and the key, so that nothing half-understood is ever queued.
    public static func parse(_ data: Data, source: String) throws(JobSpecError) -> JobSpec {
        guard data.count <= maxSpecBytes else {
            throw JobSpecError(source: source, key: nil, problem: "\(data.count >> 20) MiB; a spec may be at most \(maxSpecBytes >> 20) MiB (split the job)")
        }
        if let bad = firstInvalidUTF8(data) {
            throw JobSpecError(source: source, key: nil, problem: "not valid UTF-8 (byte \(bad)); a spec is JSON text in UTF-8")
        }
        do {
            let spec = try JSONDecoder().decode(JobSpec.self, from: data)
            try JobSpecLimits.check(spec, source: source)
            return spec
        } catch let problem as JobSpecError {
            throw problem
        } catch {
            var problem = JobSpecError(decoding: error, source: source)
            if problem.key == nil, problem.problem.hasPrefix("not valid JSON") {
                // JSONDecoder does not say where; JSONSerialization does (line and column).
                do {
                    _ = try JSONSerialization.jsonObject(with: data)
                } catch {
                    let detail = (error as NSError).userInfo["NSDebugDescription"] as? String
                    problem.problem = "not valid JSON" + (detail.map { " (\($0))" } ?? "")
                }
            }
            throw problem
        }
    }

    /// The largest spec accepted: a submit request must fit in one protocol line.
    public static let maxSpecBytes = Wire.maxLineBytes - (1 << 20)

    /// Reads and parses a spec file; a missing file is a ``JobSpecError`` too.
    public static func load(path: String) throws(JobSpecError) -> JobSpec {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw JobSpecError(source: path, key: nil, problem: "not a regular file")
            }
            guard info.st_size <= off_t(maxSpecBytes) else {
                throw JobSpecError(source: path, key: nil, problem: "\(info.st_size >> 20) MiB; a spec may be at most \(maxSpecBytes >> 20) MiB (split the job)")
            }
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            let reason = fd < 0 ? ": " + String(cString: strerror(errno)) : ""
            if fd >= 0 { close(fd) }
            throw JobSpecError(source: path, key: nil, problem: "cannot read the file" + reason)
        }
        return try parse(data, source: path)
    }

    /// The offset of the first byte that is not part of valid UTF-8, if any.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        if String(validating: data, as: UTF8.self) != nil { return nil }
        var offset = 0
        var iterator = data.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

extension JobSpecError {
    /// Turns a decoding failure into a message naming the key, as written in the spec
    /// (`tasks[3].command[0]`), with the leading `dropping` keys of an enclosing message removed.
    public init(decoding error: Error, source: String, dropping prefix: Int = 0) {
        guard let error = error as? DecodingError else {
            self.init(source: source, key: nil, problem: "\(error)")
            return
        }
        switch error {
        case .dataCorrupted(let context) where context.underlyingError != nil || context.debugDescription.contains("not valid JSON"):
            self.init(source: source, key: nil, problem: "not valid JSON")
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            self.init(source: source, key: Self.path(context.codingPath.dropFirst(prefix)), problem: context.debugDescription)
        case .keyNotFound(let key, let context):
            self.init(source: source, key: Self.path(context.codingPath.dropFirst(prefix) + [key]), problem: "missing")
        @unknown default:
            self.init(source: source, key: nil, problem: "\(error)")
        }
    }

    /// `tasks[3].command[0]` from a coding path.
    static func path(_ keys: some Collection<any CodingKey>) -> String? {
        var text = ""
        for key in keys {
            if let index = key.intValue, key.stringValue.hasPrefix("Index") || key.stringValue == String(index) {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? nil : text
    }
}

/// Any JSON object key, so that keys the spec does not know can be found and named.
struct SpecKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The strict reading of a spec, used by `JobSpec.init(from:)`: each complaint is a
/// `DecodingError.dataCorrupted` at the offending key, with a message for people.
enum SpecDecoding {
    typealias Object = KeyedDecodingContainer<SpecKey>

    static func job(_ decoder: Decoder) throws -> JobSpec {
        guard let top = try? decoder.container(keyedBy: SpecKey.self) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath, debugDescription: "expected an object, got \(kind(try decoder.singleValueContainer()))"))
        }
        let object = try self.object(top, at: decoder.codingPath, allowed: [
            "name", "description", "priority", "task_timeout", "max_interrupted_retries",
            "cancel_on_task_failure", "environment", "tasks", "host", "inherit_env", "submitter_env",
            "resources",
        ])
        var spec = JobSpec(tasks: [])
        spec.name = try string(object, "name")
        spec.description = try string(object, "description")
        if let raw = try present(object, "priority") {
            let text: String
            if let number = try? object.decode(Int.self, forKey: raw) {
                text = String(number)
            } else if let name = try? object.decode(String.self, forKey: raw) {
                text = name
            } else {
                throw fail(object, raw, "expected one of low, below_normal, normal, above_normal, high, got \(kind(object, raw))")
            }
            guard let priority = JobPriority(name: text) else {
                throw fail(object, raw, "unknown priority \"\(text)\"; use low, below_normal, normal, above_normal or high")
            }
            spec.priority = priority
        }
        if let raw = try present(object, "task_timeout") {
            guard let number = try? object.decode(Double.self, forKey: raw), number > 0, number.isFinite else {
                throw fail(object, raw, "expected a positive number of seconds, got \(describe(object, raw))")
            }
            spec.taskTimeout = number
        }
        if let raw = try present(object, "max_interrupted_retries") {
            guard let number = try? object.decode(Int.self, forKey: raw), (0...1000).contains(number) else {
                throw fail(object, raw, "expected a whole number from 0 to 1000, got \(describe(object, raw))")
            }
            spec.maxInterruptedRetries = number
        }
        if let raw = try present(object, "cancel_on_task_failure") {
            guard let flag = try? object.decode(Bool.self, forKey: raw) else {
                throw fail(object, raw, "expected true or false, got \(describe(object, raw))")
            }
            spec.cancelOnTaskFailure = flag
        }
        if let raw = try present(object, "environment") {
            let environment = try self.object(nested(object, raw), at: object.codingPath + [raw], allowed: ["setup", "teardown", "env", "cwd"])
            spec.environment = EnvironmentSpec(
                setup: try command(environment, "setup"), teardown: try command(environment, "teardown"),
                env: try stringMap(environment, "env"), cwd: try string(environment, "cwd"))
        }
        if let raw = try present(object, "inherit_env") {
            guard let flag = try? object.decode(Bool.self, forKey: raw) else {
                throw fail(object, raw, "expected true or false, got \(describe(object, raw))")
            }
            spec.inheritEnvironment = flag
        }
        if try present(object, "submitter_env") != nil { spec.submitterEnvironment = try stringMap(object, "submitter_env") }
        spec.host = try hostSpec(object)
        spec.resources = try resources(object)
        let tasksKey = SpecKey("tasks")
        guard object.contains(tasksKey) else { throw fail(object, tasksKey, "missing: a job needs at least one task") }
        guard var list = try? object.nestedUnkeyedContainer(forKey: tasksKey) else {
            throw fail(object, tasksKey, "expected a list of tasks, got \(kind(object, tasksKey))")
        }
        guard !list.isAtEnd else { throw fail(object, tasksKey, "empty: a job needs at least one task") }
        if let count = list.count { spec.tasks.reserveCapacity(count) }
        while !list.isAtEnd {
            let path = list.codingPath + [IndexKey(list.currentIndex)]
            guard let container = try? list.nestedContainer(keyedBy: SpecKey.self) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "expected an object, got \(kind(&list))"))
            }
            let task = try self.object(container, at: path, allowed: ["name", "command", "env", "cwd", "python", "resources"])
            let python = try pythonPayload(task, host: spec.host)
            guard let argv = try command(task, "command") ?? python?.command else {
                throw fail(task, SpecKey("command"), "missing: each task needs a command, e.g. [\"sh\", \"-c\", \"echo hi\"]")
            }
            spec.tasks.append(TaskSpec(
                name: try string(task, "name"), command: argv, env: try stringMap(task, "env"), cwd: try string(task, "cwd"),
                python: python?.path))
            spec.tasks[spec.tasks.count - 1].resources = try resources(task)
        }
        return spec
    }

    private static func object(_ container: Object, at path: [CodingKey], allowed: Set<String>) throws -> Object {
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw fail(container, SpecKey(unknown), "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))")
        }
        return container
    }

    private static func nested(_ object: Object, _ key: SpecKey) throws -> Object {
        guard let container = try? object.nestedContainer(keyedBy: SpecKey.self, forKey: key) else {
            throw fail(object, key, "expected an object, got \(kind(object, key))")
        }
        return container
    }

    /// The key when it is there and not null.
    private static func present(_ object: Object, _ name: String) throws -> SpecKey? {
        let key = SpecKey(name)
        guard object.contains(key), !((try? object.decodeNil(forKey: key)) ?? false) else { return nil }
        return key
    }

    private static func string(_ object: Object, _ name: String) throws -> String? {
        guard let key = try present(object, name) else { return nil }
        guard let text = try? object.decode(String.self, forKey: key) else {
            throw fail(object, key, "expected a string, got \(kind(object, key))")
        }
        return text
    }

    private static func command(_ object: Object, _ name: String) throws -> [String]? {
        guard let key = try present(object, name) else { return nil }
        guard var list = try? object.nestedUnkeyedContainer(forKey: key) else {
            throw fail(object, key, "expected a list of strings (argv), got \(kind(object, key))")
        }
        guard !list.isAtEnd else { throw fail(object, key, "empty: a command needs at least the program to run") }
        var argv: [String] = []
        while !list.isAtEnd {
            let path = list.codingPath + [IndexKey(list.currentIndex)]
            guard let word = try? list.decode(String.self) else {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "expected a string, got \(kind(&list))"))
            }
            argv.append(word)
        }
        return argv
    }

    private static func stringMap(_ object: Object, _ name: String) throws -> [String: String] {
        guard let key = try present(object, name) else { return [:] }
        guard let map = try? object.nestedContainer(keyedBy: SpecKey.self, forKey: key) else {
            throw fail(object, key, "expected an object of strings, got \(kind(object, key))")
        }
        var result: [String: String] = [:]
        for entry in map.allKeys {
            guard let value = try? map.decode(String.self, forKey: entry) else {
                throw fail(map, entry, "expected a string, got \(kind(map, entry))")
            }
            result[entry.stringValue] = value
        }
        return result
    }

    private static func fail(_ object: Object, _ key: SpecKey, _ problem: String) -> DecodingError {
        .dataCorrupted(DecodingError.Context(codingPath: object.codingPath + [key], debugDescription: problem))
    }

    /// What a value is, in words, for "expected …, got …".
    private static func kind(_ object: Object, _ key: SpecKey) -> String {
        if (try? object.decodeNil(forKey: key)) == true { return "null" }
        if (try? object.decode(Bool.self, forKey: key)) != nil { return "a boolean" }
        if (try? object.decode(Double.self, forKey: key)) != nil { return "a number" }
        if (try? object.decode(String.self, forKey: key)) != nil { return "a string" }
        if (try? object.nestedUnkeyedContainer(forKey: key)) != nil { return "a list" }
        return "an object"
    }

    private static func kind(_ value: SingleValueDecodingContainer) -> String {
        if value.decodeNil() { return "null" }
        if (try? value.decode(Bool.self)) != nil { return "a boolean" }
        if (try? value.decode(Double.self)) != nil { return "a number" }
        if (try? value.decode(String.self)) != nil { return "a string" }
        return "a list"
    }

    private static func kind(_ list: inout UnkeyedDecodingContainer) -> String {
        if (try? list.decodeNil()) == true { return "null" }
        if (try? list.decode(Bool.self)) != nil { return "a boolean" }
        if (try? list.decode(Double.self)) != nil { return "a number" }
        if (try? list.decode(String.self)) != nil { return "a string" }
        if (try? list.nestedUnkeyedContainer()) != nil { return "a list" }
        return "an object"
    }

    /// The value itself when short (numbers, strings), else its kind.
    private static func describe(_ object: Object, _ key: SpecKey) -> String {
        if (try? object.decode(Bool.self, forKey: key)) == nil, let number = try? object.decode(Double.self, forKey: key) {
            return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        }
        if let text = try? object.decode(String.self, forKey: key) { return "\"\(text)\"" }
        return kind(object, key)
    }
}

/// A list position in a coding path.
struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

// MARK: Python hosts (additive: `host` on the job, `python` on a task)

extension SpecDecoding {
    /// `"host": {"interpreter": "python3" | [argv], "environment": PATH, "unique_id": TEXT, "idle_timeout": SECONDS}`.
    fileprivate static func hostSpec(_ object: Object) throws -> HostSpec? {
        guard let raw = try present(object, "host") else { return nil }
        let host = try self.object(
            nested(object, raw), at: object.codingPath + [raw], allowed: ["interpreter", "environment", "unique_id", "idle_timeout"])
        var spec = HostSpec()
        if let word = try? string(host, "interpreter") {
            guard !word.isEmpty else { throw fail(host, SpecKey("interpreter"), "empty: name the Python that runs the host") }
            spec.interpreter = [word]
        } else if let argv = try command(host, "interpreter") {
            spec.interpreter = argv
        }
        spec.environment = try string(host, "environment")
        spec.uniqueID = try string(host, "unique_id")
        if let key = try present(host, "idle_timeout") {
            guard let seconds = try? host.decode(Double.self, forKey: key), seconds >= 0, seconds <= 86_400 * 7 else {
                throw fail(host, key, "expected a number of seconds from 0 to 604800, got \(describe(host, key))")
            }
            spec.idleTimeout = seconds
        }
        return spec
    }

    /// A task's `"python": PATH`, and the one-shot host command that runs it where no warm host can.
    fileprivate static func pythonPayload(_ task: Object, host: HostSpec?) throws -> (path: String, command: [String])? {
        guard let path = try string(task, "python") else { return nil }
        guard !path.isEmpty else { throw fail(task, SpecKey("python"), "empty: the path of a pickled task object") }
        let interpreter = host?.interpreter ?? HostSpec().interpreter
        var command = interpreter + ["-m", "taskmon.host"]
        if let environment = host?.environment { command += ["--environment", environment] }
        return (path, command + [path])
    }
}

// MARK: Resources (additive: `resources` on the job)

extension SpecDecoding {
    /// `"resources": {"cores": N, "memory_mb": M}` (of a job or a task): whole numbers, each from 1 to its bound.
    fileprivate static func resources(_ object: Object) throws -> TaskResources? {
        guard let raw = try present(object, "resources") else { return nil }
        let container = try self.object(nested(object, raw), at: object.codingPath + [raw], allowed: ["cores", "memory_mb"])
        func count(_ name: String, limit: Int, unit: String) throws -> Int? {
            guard let key = try present(container, name) else { return nil }
            guard let number = try? container.decode(Int.self, forKey: key), (1...limit).contains(number) else {
                throw fail(container, key, "expected a whole number of \(unit) from 1 to \(limit), got \(describe(container, key))")
            }
            return number
        }
        return TaskResources(
            cores: try count("cores", limit: TaskResources.maxCores, unit: "cores"),
            memoryMB: try count("memory_mb", limit: TaskResources.maxMemoryMB, unit: "megabytes"))
    }
}
