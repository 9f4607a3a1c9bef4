import TaskmonKit

/// One single-column symbol per task status, drawn next to the status so it can be told
/// apart without colour.
///
/// The Unicode set uses only characters whose East Asian Width is Neutral (none Ambiguous,
/// unlike ● ○ ◆, which CJK terminals draw two columns wide), none with an emoji form
/// (unlike ✔ ⏸ ⚠), and all one column in glibc's wcwidth:
///
/// | status | Unicode | ASCII |
/// |---|---|---|
/// | NOT_SUBMITTED | ◌ U+25CC | `.` |
/// | SUBMITTED | ⋯ U+22EF | `:` |
/// | ASSIGNED | ▻ U+25BB | `+` |
/// | RUNNING | ► U+25BA | `>` |
/// | CANCELING | ⊖ U+2296 | `~` |
/// | INTERRUPTED | ↺ U+21BA | `!` |
/// | CANCELED | ⊘ U+2298 | `-` |
/// | ENVIRONMENT_ERROR | ⊠ U+22A0 | `E` |
/// | COMPLETED | ✓ U+2713 | `v` |
/// | TIMED_OUT | ◷ U+25F7 | `T` |
/// | FAILED | ✗ U+2717 | `X` |
package struct StatusSymbols: Hashable, Sendable {
    /// Indexed by `TaskStatus.rawValue`.
    private let symbols: [Character]
    /// True for the ASCII set.
    package let isASCII: Bool

    private init(_ symbols: [Character], isASCII: Bool) {
        self.symbols = symbols
        self.isASCII = isASCII
    }

    /// The symbol for `status`: one column wide in either set.
    package func symbol(for status: TaskStatus) -> Character {
        symbols[status.rawValue]
    }

    /// Symbols for terminals with Unicode fonts.
    package static let unicode = StatusSymbols(
        ["\u{25CC}", "\u{22EF}", "\u{25BB}", "\u{25BA}", "\u{2296}", "\u{21BA}",
         "\u{2298}", "\u{22A0}", "\u{2713}", "\u{25F7}", "\u{2717}"],
        isASCII: false)

    /// Symbols for the Linux console, serial terminals and non-UTF-8 locales.
    package static let ascii = StatusSymbols([".", ":", "+", ">", "~", "!", "-", "E", "v", "T", "X"], isASCII: true)

    /// The set to use: `TASKMON_SYMBOLS=ascii|unicode` if set; else ASCII when the locale is not
    /// UTF-8 or `TERM` is a console that cannot draw these glyphs (`linux*`, `vt*`, `cons*`);
    /// else Unicode.
    ///
    /// - Parameter localeIsUTF8: whether the locale's codeset is UTF-8 (`nl_langinfo(CODESET)`
    ///   after `setlocale`); nil to decide from `LC_ALL`/`LC_CTYPE`/`LANG` in `environment`.
    package static func forTerminal(environment: [String: String], localeIsUTF8: Bool? = nil) -> StatusSymbols {
        switch environment["TASKMON_SYMBOLS"]?.lowercased() {
        case "ascii": return .ascii
        case "unicode": return .unicode
        default: break
        }
        guard localeIsUTF8 ?? Self.localeIsUTF8(environment: environment) else { return .ascii }
        return isConsole(term: environment["TERM"] ?? "") ? .ascii : .unicode
    }

    /// `linux`, `linux-16color`, `vt100`, `vt220`, `cons25`; not `vte-256color`.
    private static func isConsole(term: String) -> Bool {
        if term == "linux" || term.hasPrefix("linux-") { return true }
        for prefix in ["vt", "cons"] where term.hasPrefix(prefix) {
            if term.dropFirst(prefix.count).first?.isNumber == true { return true }
        }
        return false
    }

    /// Whether the locale the environment asks for is UTF-8, as `setlocale` would pick it:
    /// the first non-empty of `LC_ALL`, `LC_CTYPE`, `LANG`.
    package static func localeIsUTF8(environment: [String: String]) -> Bool {
        let name = ["LC_ALL", "LC_CTYPE", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        let lowered = name.lowercased()
        return lowered.contains("utf-8") || lowered.contains("utf8")
    }
}
