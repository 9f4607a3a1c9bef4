import Foundation

/// The themes one can choose: the built-ins plus `$XDG_CONFIG_HOME/taskmon/themes/*.toml`
/// (XDG default `~/.config`), a user file replacing the built-in of the same name.
///
/// Listing reads only the folder; a theme's file is parsed when it is loaded, so one broken
/// user theme does not stop the others from being listed or chosen.
package struct ThemeCatalog: Sendable {
    /// One selectable theme.
    package struct Entry: Hashable, Sendable {
        /// What `--theme`, `TASKMON_THEME` and the config file call it: the file name without `.toml`.
        package let name: String
        package let origin: ThemeOrigin
        /// True when a user file of this name replaces a built-in.
        package let overridesBuiltin: Bool
    }

    /// In `T`-key order: built-ins (default first, then by name), then user-only themes by name.
    package let entries: [Entry]
    /// The user theme folder, whether or not it exists; nil without `XDG_CONFIG_HOME` or `HOME`.
    package let userDirectory: String?
    private let builtins: [String: String]
    private let builtinOrder: [String]
    private let home: String?

    /// Lists the built-ins and the user's themes. Reads nothing but the theme folder; never fails.
    package init(environment: [String: String]) {
        self.init(builtins: BuiltinThemes.sources, builtinOrder: BuiltinThemes.order,
                  userDirectory: ThemePaths.userThemeDirectory(environment: environment),
                  home: ThemePaths.home(environment: environment))
    }

    init(builtins: [String: String], builtinOrder: [String], userDirectory: String?, home: String? = nil) {
        self.builtins = builtins
        self.builtinOrder = builtinOrder
        self.userDirectory = userDirectory
        self.home = home
        var userFiles: [String: String] = [:]
        if let userDirectory {
            for file in Self.themeFiles(in: userDirectory) {
                userFiles[String(file.dropLast(".toml".count))] = userDirectory + "/" + file
            }
        }
        var entries = builtinOrder.map { name in
            userFiles[name].map { Entry(name: name, origin: .file(path: $0), overridesBuiltin: true) }
                ?? Entry(name: name, origin: .builtin, overridesBuiltin: false)
        }
        for name in userFiles.keys.sorted() where builtins[name] == nil {
            entries.append(Entry(name: name, origin: .file(path: userFiles[name]!), overridesBuiltin: false))
        }
        self.entries = entries
    }

    /// The selectable names, in ``entries`` order.
    package var names: [String] { entries.map(\.name) }

    /// The name after `name` for the `T` key, wrapping around; the first name when `name` is
    /// not in the catalog (a theme loaded by path).
    package func next(after name: String) -> String {
        guard let index = names.firstIndex(of: name) else { return names.first ?? "default" }
        return names[(index + 1) % names.count]
    }

    /// The first theme after `name` that loads, for the `T` key, with the errors of the
    /// broken ones it skipped (show them). Falls back to the built-in default if none loads.
    package func loadNext(after name: String) -> (theme: Theme, problems: [ThemeError]) {
        var problems: [ThemeError] = []
        var candidate = name
        for _ in names {
            candidate = next(after: candidate)
            do {
                return (try theme(named: candidate), problems)
            } catch {
                problems.append(error)
            }
        }
        return (.builtinDefault, problems)
    }

    /// Loads the theme called `name`, following `inherits`.
    package func theme(named name: String) throws(ThemeError) -> Theme {
        try load(name: name, skippingUserFile: false, chain: [], requestedBy: ThemeError(file: "theme", message: ""))
    }

    /// Loads a theme file given by path (`--theme ./mine.toml`); its name is the file name
    /// without `.toml`, and `inherits` is looked up in this catalog.
    package func theme(atPath path: String) throws(ThemeError) -> Theme {
        let source = try Self.read(path)
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        let document = try ThemeDocument(source: source, file: path)
        return try build(document, name: name, origin: .file(path: path), isBuiltin: false, chain: [])
    }

    /// Loads `name` from a user file if there is one (and we are not looking past it),
    /// else from the built-ins. `requestedBy` places the "unknown theme" message.
    func load(name: String, skippingUserFile: Bool, chain: [String], requestedBy: ThemeError) throws(ThemeError) -> Theme {
        if !skippingUserFile, let entry = entries.first(where: { $0.name == name }),
           case .file(let path) = entry.origin {
            let document = try ThemeDocument(source: try Self.read(path), file: path)
            return try build(document, name: name, origin: entry.origin, isBuiltin: false, chain: chain)
        }
        guard let source = builtins[name] else {
            var error = requestedBy
            error.message = "unknown theme \"\(name)\" (available: \(names.joined(separator: ", ")))"
            throw error
        }
        let document = try ThemeDocument(source: source, file: "Themes/\(name).toml")
        return try build(document, name: name, origin: .builtin, isBuiltin: true, chain: chain)
    }

    private func build(_ document: ThemeDocument, name: String, origin: ThemeOrigin, isBuiltin: Bool,
                       chain: [String]) throws(ThemeError) -> Theme {
        var parent: Theme?
        if let parentName = document.inherits {
            let here = ThemeError(file: document.file, line: document.locator.line(of: ["inherits"]),
                                  key: "inherits", message: "")
            let chain = chain + [name]
            // A user's `default.toml` that inherits "default" means the built-in one.
            let selfReference = parentName == name
            if (selfReference && isBuiltin) || (!selfReference && chain.contains(parentName)) {
                var error = here
                error.message = "inherits goes round in a circle: \((chain + [parentName]).joined(separator: " → "))"
                throw error
            }
            if chain.count > 8 {
                var error = here
                error.message = "inherits is more than 8 themes deep: \((chain + [parentName]).joined(separator: " → "))"
                throw error
            }
            if selfReference && builtins[name] == nil {
                var error = here
                error.message = "a theme can inherit its own name only to extend the built-in of that name; there is no built-in \"\(name)\""
                throw error
            }
            parent = try load(name: parentName, skippingUserFile: selfReference, chain: chain, requestedBy: here)
        }
        return try Theme(document: document, name: name, origin: origin, parent: parent)
    }

    /// A file's text, or an error that says why there is none.
    static func read(_ path: String) throws(ThemeError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ThemeError(file: path, message: exists ? "cannot read the file" : "no such file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ThemeError(file: path, message: "not valid UTF-8")
        }
        return text
    }

    /// `*.toml` in `directory`, sorted, skipping hidden files; none if it does not exist.
    private static func themeFiles(in directory: String) -> [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.filter { $0.hasSuffix(".toml") && !$0.hasPrefix(".") && $0.count > ".toml".count }.sorted()
    }

    /// `~/x` expanded with the catalog's `HOME`; other paths unchanged.
    func expandingHome(_ path: String) -> String {
        guard path.hasPrefix("~/"), let home else { return path }
        return home + path.dropFirst()
    }
}

extension Theme {
    /// The built-in default theme; the theme to fall back to after any error.
    ///
    /// A test keeps the embedded default loadable; should it ever not be, this is a plain
    /// theme using the monochrome attributes, rather than a crash.
    package static let builtinDefault: Theme = {
        let catalog = ThemeCatalog(builtins: BuiltinThemes.sources, builtinOrder: BuiltinThemes.order, userDirectory: nil)
        return (try? catalog.theme(named: "default")) ?? .plain
    }()

    /// No colours, monochrome attributes everywhere.
    static let plain = Theme(
        name: "default", displayName: nil, summary: nil, origin: .builtin,
        styles: Dictionary(uniqueKeysWithValues: ThemeRole.allRoles.map {
            ($0, ThemeStyle(attributes: MonochromeScheme.attributes(for: $0)))
        }))
}
