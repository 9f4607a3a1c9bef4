import Foundation
import TaskmonKit

/// The shell scripts an array element runs on its compute node.
///
/// One array carries many tasks with different argv, cwd, environment and spool files, but
/// Slurm gives every element the same batch script. So each element gets a small script of its
/// own in the submission's folder on the shared spool, named by its array index; the batch
/// script only runs the one for `$SLURM_ARRAY_TASK_ID`. Only `/bin/sh` is needed on the nodes.
enum SlurmScripts {
    /// The array's batch script.
    static func batch(folder: String) -> String {
        """
        #!/bin/sh
        # taskmon: each element runs its own script from the shared spool
        exec /bin/sh \(quote(folder))/"$SLURM_ARRAY_TASK_ID" </dev/null

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
            lines.append("export " + exports.sorted { $0.key < $1.key }.map { "\($0.key)=\(quote($0.value))" }.joined(separator: " "))
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
        if let channel = request.channelPath,
           let data = try? JSONSerialization.data(withJSONObject: ["exception": ["type": "LaunchError", "message": message]]) {
            words += " printf '%s\\n' \(quote(String(decoding: data, as: UTF8.self))) >>\(quote(channel));"
        }
        return words + " exit \(code);"
    }

    /// A single-quoted shell word: nothing inside is expanded.
    static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
