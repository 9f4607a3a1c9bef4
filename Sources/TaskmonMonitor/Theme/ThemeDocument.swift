import Foundation
import TOMLKit
import TaskmonKit

/// One theme file as written: its own keys only, before `inherits` fills the gaps.
struct ThemeDocument: Sendable {
    /// Where it came from, as shown in messages.
    var file: String
    var displayName: String?
    var summary: String?
    var inherits: String?
    var styles: [ThemeRole: ThemeStyle] = [:]
    /// Line of the `inherits` key, of each table, …, for messages found after parsing.
    var locator: TOMLKeyLocator

    /// Parses a theme file. Every problem is collected and the first by line is thrown,
    /// so the message points at the top-most mistake.
    init(source: String, file: String) throws(ThemeError) {
        self.file = file
        locator = TOMLKeyLocator(source: source)
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            throw ThemeError(file: file, line: error.source.begin.line, message: "TOML syntax: \(error.description)")
        } catch {
            throw ThemeError(file: file, message: "TOML syntax: \(error)")
        }
        var problems = ThemeProblems(file: file, locator: locator)
        for key in root.keys {
            guard let value = root[key] else { continue }
            switch key {
            case "name": displayName = problems.string(value, at: [key])
            case "description": summary = problems.string(value, at: [key])
            case "inherits": inherits = problems.string(value, at: [key])
            case "status": readStatuses(value, problems: &problems)
            case "ui": readUI(value, problems: &problems)
            default: problems.unknownKey([key], hint: Self.topLevelHint(for: key))
            }
        }
        if let first = problems.first { throw first }
    }

    private mutating func readStatuses(_ value: TOMLValueConvertible, problems: inout ThemeProblems) {
        guard let table = problems.table(value, at: ["status"]) else { return }
        for key in table.keys {
            guard let value = table[key] else { continue }
            guard let status = TaskStatus(name: key) else {
                problems.unknownKey(["status", key], hint: Self.suggestion(for: key, among: TaskStatus.allCases.map(\.name)))
                continue
            }
            guard styles[.status(status)] == nil else {
                problems.add(["status", key], "\(status.name) is set twice (names ignore case and - / _)")
                continue
            }
            if let style = problems.style(value, at: ["status", key]) { styles[.status(status)] = style }
        }
    }

    private mutating func readUI(_ value: TOMLValueConvertible, problems: inout ThemeProblems) {
        guard let table = problems.table(value, at: ["ui"]) else { return }
        for key in table.keys {
            guard let value = table[key] else { continue }
            guard let role = ThemeRole.ui(key: key) else {
                problems.unknownKey(["ui", key], hint: Self.suggestion(for: key, among: ThemeRole.uiRoles.map(\.uiKey)))
                continue
            }
            if let style = problems.style(value, at: ["ui", key]) { styles[role] = style }
        }
    }

    /// A status or UI key written at the top level is the likeliest slip; say where it goes.
    private static func topLevelHint(for key: String) -> String {
        if TaskStatus(name: key) != nil { return " (put it under [status])" }
        if ThemeRole.ui(key: key) != nil { return " (put it under [ui])" }
        return suggestion(for: key, among: ["name", "description", "inherits", "status", "ui"])
    }

    /// ` (did you mean "x"?)` for a near miss, else a list of what is allowed.
    static func suggestion(for key: String, among candidates: [String]) -> String {
        let scored = candidates.map { ($0, editDistance($0.lowercased(), key.lowercased())) }
        if let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, key.count / 4) {
            return " (did you mean \"\(best.0)\"?)"
        }
        return " (expected one of: \(candidates.joined(separator: ", ")))"
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Collects what is wrong in one file, each with its line, and reads typed values.
struct ThemeProblems {
    let file: String
    let locator: TOMLKeyLocator
    private(set) var all: [ThemeError] = []

    init(file: String, locator: TOMLKeyLocator) {
        self.file = file
        self.locator = locator
    }

    /// The problem on the earliest line (unlocated ones last).
    var first: ThemeError? {
        all.min { ($0.line ?? .max) < ($1.line ?? .max) }
    }

    mutating func add(_ path: [String], _ message: String) {
        all.append(ThemeError(file: file, line: locator.line(of: path), key: path.joined(separator: "."), message: message))
    }

    mutating func unknownKey(_ path: [String], hint: String) {
        add(path, "unknown key" + hint)
    }

    mutating func string(_ value: TOMLValueConvertible, at path: [String]) -> String? {
        guard let text = value.string else {
            add(path, "expected a string, got \(Self.kind(value))")
            return nil
        }
        return text
    }

    mutating func table(_ value: TOMLValueConvertible, at path: [String]) -> TOMLTable? {
        guard let table = value.table else {
            add(path, "expected a table ([\(path.joined(separator: "."))]), got \(Self.kind(value))")
            return nil
        }
        return table
    }

    /// A style is a colour (the foreground) or a table `{ fg, bg, bold, dim, underline, reverse, italic }`.
    mutating func style(_ value: TOMLValueConvertible, at path: [String]) -> ThemeStyle? {
        switch value.type {
        case .string, .int:
            return colour(value, at: path).map { ThemeStyle(foreground: $0) }
        case .table:
            guard let table = value.table else { return nil }
            return styleTable(table, at: path)
        default:
            add(path, "expected a colour or a table like { fg = \"red\", bold = true }, got \(Self.kind(value))")
            return nil
        }
    }

    private static let attributeKeys: [(String, TextAttributes)] = [
        ("bold", .bold), ("dim", .dim), ("underline", .underline), ("reverse", .reverse), ("italic", .italic),
    ]

    private mutating func styleTable(_ table: TOMLTable, at path: [String]) -> ThemeStyle? {
        var style = ThemeStyle()
        let before = all.count
        for key in table.keys {
            guard let value = table[key] else { continue }
            let keyPath = path + [key]
            switch key {
            case "fg": if let colour = colour(value, at: keyPath) { style.foreground = colour }
            case "bg": if let colour = colour(value, at: keyPath) { style.background = colour }
            default:
                guard let attribute = Self.attributeKeys.first(where: { $0.0 == key })?.1 else {
                    unknownKey(keyPath, hint: ThemeDocument.suggestion(
                        for: key, among: ["fg", "bg"] + Self.attributeKeys.map(\.0)))
                    continue
                }
                guard let on = value.bool else {
                    add(keyPath, "expected true or false, got \(Self.kind(value))")
                    continue
                }
                if on { style.attributes.insert(attribute) }
            }
        }
        return all.count == before ? style : nil
    }

    private mutating func colour(_ value: TOMLValueConvertible, at path: [String]) -> ThemeColor? {
        if let number = value.int {
            if let colour = ThemeColor(themeInteger: number) { return colour }
            add(path, "unknown colour \(number) (\(ThemeColor.accepted))")
            return nil
        }
        guard let text = value.string else {
            add(path, "expected a colour (a string or 0–255), got \(Self.kind(value))")
            return nil
        }
        if let colour = ThemeColor(themeText: text) { return colour }
        add(path, "unknown colour \"\(text)\" (\(ThemeColor.accepted))")
        return nil
    }

    private static func kind(_ value: TOMLValueConvertible) -> String {
        switch value.type {
        case .string: "a string"
        case .int: "an integer"
        case .double: "a number with a fraction"
        case .bool: "true/false"
        case .table: "a table"
        case .array: "an array"
        case .date, .time, .dateTime: "a date/time"
        }
    }
}
