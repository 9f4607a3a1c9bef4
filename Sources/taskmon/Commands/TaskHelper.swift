import ArgumentParser
import Foundation
import TaskmonKit

/// `taskmon task …`: what a shell task uses to report through its channel.
struct TaskHelper: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Report from inside a running task: properties, result, progress, exception.",
        discussion: "Writes to the file named by $TASKMON_CHANNEL, which the scheduler gives every task.",
        subcommands: [SetProperty.self, SetResult.self, SetProgress.self, SetException.self])

    /// Appends a record to this task's channel, or explains why it cannot.
    static func write(_ record: ChannelRecord) throws {
        try reportingErrors {
            guard let path = ProcessInfo.processInfo.environment[TaskEnvironment.channel], !path.isEmpty else {
                throw CLIError("$\(TaskEnvironment.channel) is not set: `taskmon task` works inside a task the scheduler runs", code: 2)
            }
            do {
                try ChannelWriter.append(record, to: path)
            } catch {
                throw CLIError("\(error)")
            }
        }
    }
}

struct SetProperty: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-property", abstract: "Set a named property (kept even when the task fails).")

    @Argument var name: String
    /// Collected as "unrecognized" so that a negative number (`-42`) is a value, not an option.
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The value (a negative number is fine).", valueName: "value"))
    var values: [String] = []

    @Option(help: "string, int, float or bytes (bytes: the value is base64).")
    var type: String = "string"

    var value: String { values.first ?? "" }

    func validate() throws {
        guard values.count == 1 else {
            throw ValidationError(values.isEmpty ? "Missing expected argument '<value>'" : "Expected one value, got \(values.count): \(values.joined(separator: " "))")
        }
    }

    func run() throws {
        guard let parsed = PropertyValue(typeName: type, text: value) else {
            printError("taskmon: \(value.debugDescription) is not a valid \(type) (types: string, int, float, bytes as base64)")
            throw ExitCode(2)
        }
        try TaskHelper.write(.property(name: name, value: parsed))
    }
}

struct SetResult: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "result", abstract: "Set the task's result.")

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The result as text (a negative number is fine).", valueName: "value"))
    var values: [String] = []

    @Option(help: "The result's type name, shown with it.")
    var type: String = "str"

    func validate() throws {
        guard values.count == 1 else {
            throw ValidationError(values.isEmpty ? "Missing expected argument '<value>'" : "Expected one value, got \(values.count): \(values.joined(separator: " "))")
        }
    }

    func run() throws {
        try TaskHelper.write(.result(TaskResult(display: values[0], type: type)))
    }
}

struct SetProgress: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "progress", abstract: "Report progress: a percentage and optional text.")

    @Argument var percent: Int
    @Argument var info: String?

    func run() throws {
        guard (0...100).contains(percent) else {
            printError("taskmon: progress must be from 0 to 100, not \(percent)")
            throw ExitCode(2)
        }
        try TaskHelper.write(.progress(TaskProgress(percent: percent, info: info)))
    }
}

struct SetException: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exception", abstract: "Record the exception the task fails with (then exit non-zero).")

    @Argument var type: String
    @Argument var message: String
    @Option(help: "A stack trace or other detail.") var trace: String = ""

    func run() throws {
        try TaskHelper.write(.exception(TaskException(type: type, message: message, trace: trace)))
    }
}
