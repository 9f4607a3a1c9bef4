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
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw JobSpecError(source: source, key: nil, problem: "not valid JSON (\(Self.describeJSONError(error)))")
        }
        return try SpecReader(source: source).job(object)
    }

    /// Reads a spec already parsed from JSON (by `JSONSerialization`), as strictly as ``parse(_:source:)``.
    public static func parse(object: Any, source: String) throws(JobSpecError) -> JobSpec {
        try SpecReader(source: source).job(object)
    }

    /// Reads and parses a spec file; a missing file is a ``JobSpecError`` too.
    public static func load(path: String) throws(JobSpecError) -> JobSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JobSpecError(source: path, key: nil, problem: "cannot read the file")
        }
        return try parse(data, source: path)
    }

    private static func describeJSONError(_ error: Error) -> String {
        let nsError = error as NSError
        if let detail = nsError.userInfo["NSDebugDescription"] as? String { return detail }
        return nsError.localizedDescription
    }
}

/// Walks the untyped JSON so that each complaint can say exactly which key is wrong.
private struct SpecReader {
    static let booleanType: NSNumber.Type = type(of: NSNumber(value: true))
    let source: String

    func fail(_ key: String?, _ problem: String) -> JobSpecError {
        JobSpecError(source: source, key: key, problem: problem)
    }

    func job(_ value: Any) throws(JobSpecError) -> JobSpec {
        let object = try dictionary(value, at: nil, allowed: [
            "name", "description", "priority", "task_timeout", "max_interrupted_retries",
            "cancel_on_task_failure", "environment", "tasks",
        ])
        var spec = JobSpec(tasks: [])
        spec.name = try optionalString(object["name"], at: "name")
        spec.description = try optionalString(object["description"], at: "description")
        if let raw = object["priority"], !(raw is NSNull) {
            let text: String
            if let number = raw as? NSNumber, !isBool(number) { text = number.stringValue } else if let string = raw as? String { text = string } else {
                throw fail("priority", "expected one of low, below_normal, normal, above_normal, high, got \(typeName(raw))")
            }
            guard let priority = JobPriority(name: text) else {
                throw fail("priority", "unknown priority \"\(text)\"; use low, below_normal, normal, above_normal or high")
            }
            spec.priority = priority
        }
        if let raw = object["task_timeout"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, !isBool(number), number.doubleValue > 0, number.doubleValue.isFinite else {
                throw fail("task_timeout", "expected a positive number of seconds, got \(describe(raw))")
            }
            spec.taskTimeout = number.doubleValue
        }
        if let raw = object["max_interrupted_retries"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, !isBool(number), number.doubleValue == number.doubleValue.rounded(),
                  number.intValue >= 0, number.intValue <= 1000 else {
                throw fail("max_interrupted_retries", "expected a whole number from 0 to 1000, got \(describe(raw))")
            }
            spec.maxInterruptedRetries = number.intValue
        }
        if let raw = object["cancel_on_task_failure"], !(raw is NSNull) {
            guard let number = raw as? NSNumber, isBool(number) else {
                throw fail("cancel_on_task_failure", "expected true or false, got \(describe(raw))")
            }
            spec.cancelOnTaskFailure = number.boolValue
        }
        if let raw = object["environment"], !(raw is NSNull) {
            spec.environment = try environment(raw)
        }
        guard let rawTasks = object["tasks"] else { throw fail("tasks", "missing: a job needs at least one task") }
        guard let taskList = rawTasks as? [Any] else { throw fail("tasks", "expected a list of tasks, got \(typeName(rawTasks))") }
        guard !taskList.isEmpty else { throw fail("tasks", "empty: a job needs at least one task") }
        spec.tasks.reserveCapacity(taskList.count)
        for (index, rawTask) in taskList.enumerated() {
            spec.tasks.append(try task(rawTask, at: "tasks[\(index)]"))
        }
        return spec
    }

    func environment(_ value: Any) throws(JobSpecError) -> EnvironmentSpec {
        let object = try dictionary(value, at: "environment", allowed: ["setup", "teardown", "env", "cwd"])
        return EnvironmentSpec(
            setup: try optionalCommand(object["setup"], at: "environment.setup"),
            teardown: try optionalCommand(object["teardown"], at: "environment.teardown"),
            env: try stringMap(object["env"], at: "environment.env"),
            cwd: try optionalString(object["cwd"], at: "environment.cwd"))
    }

    func task(_ value: Any, at path: String) throws(JobSpecError) -> TaskSpec {
        let object = try dictionary(value, at: path, allowed: ["name", "command", "env", "cwd"])
        guard let command = try optionalCommand(object["command"], at: "\(path).command") else {
            throw fail("\(path).command", "missing: each task needs a command, e.g. [\"sh\", \"-c\", \"echo hi\"]")
        }
        return TaskSpec(
            name: try optionalString(object["name"], at: "\(path).name"),
            command: command,
            env: try stringMap(object["env"], at: "\(path).env"),
            cwd: try optionalString(object["cwd"], at: "\(path).cwd"))
    }

    func dictionary(_ value: Any, at path: String?, allowed: Set<String>) throws(JobSpecError) -> [String: Any] {
        guard let object = value as? [String: Any] else {
            throw fail(path, "expected an object, got \(typeName(value))")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            let key = path.map { "\($0).\(unknown)" } ?? unknown
            throw fail(key, "unknown key; allowed here: \(allowed.sorted().joined(separator: ", "))")
        }
        return object
    }

    func optionalString(_ value: Any?, at path: String) throws(JobSpecError) -> String? {
        guard let value, !(value is NSNull) else { return nil }
        guard let string = value as? String else { throw fail(path, "expected a string, got \(typeName(value))") }
        return string
    }

    func optionalCommand(_ value: Any?, at path: String) throws(JobSpecError) -> [String]? {
        guard let value, !(value is NSNull) else { return nil }
        guard let list = value as? [Any] else {
            throw fail(path, "expected a list of strings (argv), got \(typeName(value))")
        }
        guard !list.isEmpty else { throw fail(path, "empty: a command needs at least the program to run") }
        var command: [String] = []
        for (index, item) in list.enumerated() {
            guard let string = item as? String else {
                throw fail("\(path)[\(index)]", "expected a string, got \(typeName(item))")
            }
            command.append(string)
        }
        return command
    }

    func stringMap(_ value: Any?, at path: String) throws(JobSpecError) -> [String: String] {
        guard let value, !(value is NSNull) else { return [:] }
        guard let object = value as? [String: Any] else {
            throw fail(path, "expected an object of strings, got \(typeName(value))")
        }
        var result: [String: String] = [:]
        for (key, item) in object {
            guard let string = item as? String else { throw fail("\(path).\(key)", "expected a string, got \(typeName(item))") }
            result[key] = string
        }
        return result
    }

    func isBool(_ number: NSNumber) -> Bool {
        // JSONSerialization hands booleans back as a private NSNumber subclass.
        type(of: number) == SpecReader.booleanType
    }

    func typeName(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let number as NSNumber: return isBool(number) ? "a boolean" : "a number"
        case is String: return "a string"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        default: return "\(type(of: value))"
        }
    }

    func describe(_ value: Any) -> String {
        if let number = value as? NSNumber, !isBool(number) { return number.stringValue }
        if let string = value as? String { return "\"\(string)\"" }
        return typeName(value)
    }
}
