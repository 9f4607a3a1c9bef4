import Foundation
import TOMLKit

/// The theme to start with, where the choice came from, and what went wrong on the way.
package struct ThemeChoice: Sendable {
    /// Which setting chose the theme.
    package enum Source: Hashable, Sendable {
        case flag
        case environment
        case configFile(path: String)
        /// Nothing asked for a theme, or what was asked for could not be loaded.
        case fallback
    }

    package let theme: Theme
    package let source: Source
    /// Show these (e.g. in the footer): a broken theme or config file, an unknown name.
    package let problems: [ThemeError]
}

extension ThemeCatalog {
    /// Picks the starting theme: `--theme NAME|PATH`, else `TASKMON_THEME`, else
    /// `theme = "…"` in `$XDG_CONFIG_HOME/taskmon/config.toml`, else `default`.
    ///
    /// The first setting present decides; if its theme cannot be loaded the result is the
    /// built-in default with the error in ``ThemeChoice/problems`` (not the next setting:
    /// the user asked for that theme and should hear why they did not get it). A value with
    /// a `/` or ending in `.toml` is a path; `~/` is expanded; a relative path in the config
    /// file is relative to the config file's folder.
    ///
    /// - Parameters:
    ///   - flag: the `--theme` value, or nil.
    ///   - environment: the process environment (`TASKMON_THEME`, `XDG_CONFIG_HOME`, `HOME`).
    package func select(flag: String?, environment: [String: String]) -> ThemeChoice {
        if let flag, !flag.isEmpty {
            return choose(flag, source: .flag, requestedBy: ThemeError(file: "--theme", message: ""), relativeTo: nil)
        }
        if let value = environment["TASKMON_THEME"], !value.isEmpty {
            return choose(value, source: .environment, requestedBy: ThemeError(file: "TASKMON_THEME", message: ""),
                          relativeTo: nil)
        }
        switch ThemeConfig.read(environment: environment) {
        case .success(nil):
            break
        case .success(let request?):
            let directory = URL(fileURLWithPath: request.path).deletingLastPathComponent().path
            return choose(request.value, source: .configFile(path: request.path),
                          requestedBy: ThemeError(file: request.path, line: request.line, key: "theme", message: ""),
                          relativeTo: directory)
        case .failure(let error):
            return ThemeChoice(theme: .builtinDefault, source: .fallback, problems: [error])
        }
        return ThemeChoice(theme: .builtinDefault, source: .fallback, problems: [])
    }

    private func choose(_ value: String, source: ThemeChoice.Source, requestedBy: ThemeError,
                        relativeTo directory: String?) -> ThemeChoice {
        do {
            let theme: Theme
            if value.contains("/") || value.hasSuffix(".toml") {
                var path = expandingHome(value)
                if let directory, !path.hasPrefix("/") { path = directory + "/" + path }
                theme = try self.theme(atPath: path)
            } else {
                theme = try load(name: value, skippingUserFile: false, chain: [], requestedBy: requestedBy)
            }
            return ThemeChoice(theme: theme, source: source, problems: [])
        } catch {
            return ThemeChoice(theme: .builtinDefault, source: .fallback, problems: [error])
        }
    }
}

/// The `theme` key of taskmon's config file. Other keys belong to other parts of taskmon
/// and are left alone here.
enum ThemeConfig {
    struct Request: Equatable {
        var value: String
        var path: String
        var line: Int?
    }

    /// The requested theme, nil when there is no config file or it sets no theme, or an
    /// error naming the file and line.
    static func read(environment: [String: String]) -> Result<Request?, ThemeError> {
        guard let path = ThemePaths.configFile(environment: environment) else { return .success(nil) }
        let source: String
        do {
            source = try ThemeCatalog.read(path)
        } catch {
            // No config file is the usual case, not a problem.
            return error.message == "no such file" ? .success(nil) : .failure(error)
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            return .failure(ThemeError(file: path, line: error.source.begin.line, message: "TOML syntax: \(error.description)"))
        } catch {
            return .failure(ThemeError(file: path, message: "TOML syntax: \(error)"))
        }
        guard let value = table["theme"] else { return .success(nil) }
        let line = TOMLKeyLocator(source: source).line(of: ["theme"])
        guard let name = value.string else {
            return .failure(ThemeError(file: path, line: line, key: "theme",
                                       message: "expected a theme name or path in quotes, got \(value.type)"))
        }
        return .success(name.isEmpty ? nil : Request(value: name, path: path, line: line))
    }
}
