/// Finds the line a TOML key is written on.
///
/// TOMLKit reports positions only for syntax errors, so a theme error about a value finds
/// its line by reading the source again. This is a line scanner, not a second TOML parser:
/// it follows `[table]` / `[[array]]` headers, dotted and quoted keys, and skips multi-line
/// strings and comments, which covers what a theme or config file holds. Keys inside an
/// inline table resolve to the line of the table (TOML keeps an inline table on one line).
struct TOMLKeyLocator {
    private var lines: [(path: [String], line: Int)] = []

    init(source: String) {
        var table: [String] = []
        var openQuote: Substring?  // the delimiter of a multi-line string we are inside
        for (offset, raw) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var text = Substring(raw)
            if let quote = openQuote {
                guard let end = text.range(of: quote) else { continue }
                openQuote = nil
                text = text[end.upperBound...]
                continue  // the rest of a closing line holds no key
            }
            text = text.drop { $0 == " " || $0 == "\t" }
            if text.hasPrefix("[") {
                let isArray = text.hasPrefix("[[")
                var rest = text.dropFirst(isArray ? 2 : 1)
                if let path = Self.dottedKey(&rest), !path.isEmpty {
                    table = path
                    lines.append((path, offset + 1))
                }
                continue
            }
            var rest = text
            guard let key = Self.dottedKey(&rest), !key.isEmpty else { continue }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "=" else { continue }
            lines.append((table + key, offset + 1))
            let value = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            for quote in ["\"\"\"", "'''"] where value.hasPrefix(quote) {
                if value.dropFirst(3).range(of: quote) == nil { openQuote = Substring(quote) }
            }
        }
    }

    /// The line of `path`, else of the longest written prefix of it (the inline table or
    /// `[table]` holding it), else nil.
    func line(of path: [String]) -> Int? {
        var best: (length: Int, line: Int)?
        for entry in lines where entry.path.count <= path.count && Array(path.prefix(entry.path.count)) == entry.path {
            if best == nil || entry.path.count > best!.length { best = (entry.path.count, entry.line) }
        }
        return best?.line
    }

    /// Reads `a.b."c d"` from the front of `text`, leaving `text` after it. Nil when
    /// the text does not start with a key.
    private static func dottedKey(_ text: inout Substring) -> [String]? {
        var parts: [String] = []
        while true {
            text = text.drop { $0 == " " || $0 == "\t" }
            guard let part = simpleKey(&text) else { return parts.isEmpty ? nil : parts }
            parts.append(part)
            text = text.drop { $0 == " " || $0 == "\t" }
            guard text.first == "." else { return parts }
            text = text.dropFirst()
        }
    }

    private static func simpleKey(_ text: inout Substring) -> String? {
        guard let first = text.first else { return nil }
        if first == "\"" || first == "'" {
            var key = ""
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                let character = text[index]
                if character == first {
                    text = text[text.index(after: index)...]
                    return key
                }
                if character == "\\" && first == "\"" {
                    index = text.index(after: index)
                    guard index < text.endIndex else { return nil }
                }
                key.append(text[index])
                index = text.index(after: index)
            }
            return nil
        }
        let bare = text.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        guard !bare.isEmpty else { return nil }
        text = text.dropFirst(bare.count)
        return String(bare)
    }
}
