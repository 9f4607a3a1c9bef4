/// Where taskmon's config and user themes live, from an explicit environment.
enum ThemePaths {
    /// `$HOME` when set and non-empty.
    static func home(environment: [String: String]) -> String? {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `$XDG_CONFIG_HOME/taskmon`, else `$HOME/.config/taskmon`. The XDG spec says to ignore a
    /// relative `XDG_CONFIG_HOME`, so a relative one counts as unset.
    static func configDirectory(environment: [String: String]) -> String? {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return xdg + "/taskmon"
        }
        return home(environment: environment).map { $0 + "/.config/taskmon" }
    }

    static func userThemeDirectory(environment: [String: String]) -> String? {
        configDirectory(environment: environment).map { $0 + "/themes" }
    }

    static func configFile(environment: [String: String]) -> String? {
        configDirectory(environment: environment).map { $0 + "/config.toml" }
    }
}
