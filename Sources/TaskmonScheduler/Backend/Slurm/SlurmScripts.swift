import Foundation
import TaskmonKit

/// The shell scripts an array element runs on its compute node.
///
/// One array carries many tasks with different argv, cwd, environment and spool files, but
/// Slurm gives every element the same batch script. So each element has a small script of its
/// own, all of them one after another in one file on the shared spool (`elements`: one file
/// per array, not one per task — creating 10,000 files costs seconds on a busy filesystem);
/// the batch script holds where each one starts and runs the one for `$SLURM_ARRAY_TASK_ID`.
/// Only `/bin/sh`, `tail` and `head` are needed on the nodes.
enum SlurmScripts {
    /// The array's batch script: `offsets` has one entry per element plus the end.
    static func batch(folder: String, offsets: [Int]) -> String {
        """
        #!/bin/sh
        # taskmon: element i runs bytes offsets[i] ..< offsets[i+1] of the elements file
        set -- \(offsets.map(String.init).joined(separator: " "))
        shift "$SLURM_ARRAY_TASK_ID" || exit 125
        script=$(tail -c +$(($1 + 1)) \(quote(folder + "/elements")) | head -c $(($2 - $1))) || exit 125
        exec /bin/sh -c "$script" taskmon-element </dev/null

        """
    }

    /// One element's script: output into the task's spool files, its own environment on top of
    /// the array's, its cwd, then exec of the command. A missing program or cwd is reported as
    /// the local backend reports it (a LaunchError exception on the channel), with exit 127 / 126.
    static func element(_ request: LaunchRequest, exports: [String: String]) -> String {
        var lines = ["#!/bin/sh"]
        if request.stdoutPath == request.stderrPath {
            lines.append("exec >>\(quote(request.stdoutPath)) 2>&1")
        } else {
            lines.append("exec >>\(quote(request.stdoutPath)) 2>>\(quote(request.stderrPath))")
        }
        if !exports.isEmpty {
            // Byte order: the same script for the same request, without Unicode-aware comparison.
            lines.append("export " + exports.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { "\($0.key)=\(quote($0.value))" }.joined(separator: " "))
        }
        if let cwd = request.workingDirectory {
            lines.append("cd \(quote(cwd)) 2>/dev/null || { " + failure(request, "cannot change directory to \(cwd): no such directory on the node", code: 126) + " }")
        }
        guard let program = request.argv.first else {
            lines.append(failure(request, "cannot run an empty command line", code: 127))
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("command -v \(quote(program)) >/dev/null 2>&1 || { "
            + failure(request, "cannot run '\(program)': command not found", code: 127) + " }")
        lines.append("exec " + request.argv.map(quote).joined(separator: " "))
        return lines.joined(separator: "\n") + "\n"
    }

    /// Shell words that report `message` on stderr (and as the task's exception on its
    /// channel) and exit with `code`. Everything is single-quoted: nothing is expanded.
    private static func failure(_ request: LaunchRequest, _ message: String, code: Int) -> String {
        var words = "printf '%s\\n' \(quote("taskmon: " + message)) >&2;"
        if let channel = request.channelPath {
            let line = "{\"exception\": {\"type\": \"LaunchError\", \"message\": \"\(jsonEscaped(message))\"}}"
            words += " printf '%s\\n' \(quote(line)) >>\(quote(channel));"
        }
        return words + " exit \(code);"
    }

    /// The inside of a JSON string (this runs for every element of an array: no JSONSerialization).
    static func jsonEscaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    /// A single-quoted shell word: nothing inside is expanded.
    static func quote(_ word: String) -> String {
        guard word.utf8.contains(UInt8(ascii: "'")) else { return "'" + word + "'" }
        var out = "'"
        for character in word { out += character == "'" ? "'\\''" : String(character) }
        return out + "'"
    }
}
