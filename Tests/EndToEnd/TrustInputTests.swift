import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("Issue 9: no spec, request or channel line brings the scheduler down (real binary)")
struct TrustInputTests {
    @Test("a task timeout of 1e16 s is refused naming the key; the scheduler lives on")
    func hugeTimeout() async throws {
        try await offPool {
            try withTarget { target in
                let command = try target.taskmon(["submit", "--timeout", "1e16", "--", "true"])
                #expect(command.status == 2, "\(command.stdout) \(command.stderr)")
                #expect(command.stderr.contains("timeout"))
                let spec = try writeSpec(#"{"task_timeout": 1e16, "tasks": [{"command": ["true"]}]}"#, in: target.directory)
                let file = try target.taskmon(["submit", spec])
                #expect(file.status == 2)
                #expect(file.stderr.contains("task_timeout"), "\(file.stderr)")
                #expect(target.answers)
                #expect(target.alive)
                // Submitted over the socket directly (no CLI checks on the way): refused too.
                let peer = try RawPeer(target.directory)
                try peer.hello()
                let answer = try peer.ask(#"{"jsonrpc":"2.0","id":1,"method":"submit","params":{"spec":{"task_timeout":1e300,"tasks":[{"command":["true"]}]}}}"#)
                #expect(answer.contains("\"error\"") && answer.contains("task_timeout"), "\(answer)")
                #expect(target.answers)
            }
        }
    }

    @Test("every out-of-range number on the wire gets an error, never a crash", arguments: [
        #"{"jsonrpc":"2.0","id":2,"method":"get_job","params":{"job_id":1,"include_tasks":true,"task_offset":1,"task_limit":9223372036854775807}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"get_job","params":{"job_id":1,"include_tasks":true,"task_offset":-5,"task_limit":-1}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"after_seq":18446744073709551615}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"after_seq":9223372036854775808}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"read_output","params":{"job_id":1,"task_id":0,"stream":"stdout","offset":9223372036854775807,"length":9223372036854775807}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"read_output","params":{"job_id":1,"task_id":0,"stream":"stdout","offset":-1,"length":-1}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"get_task","params":{"job_id":1,"task_id":-9223372036854775808,"output_cap":9223372036854775807}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"get_task","params":{"job_id":1,"task_id":0,"output_cap":-9223372036854775808}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"cancel","params":{"job_id":-9223372036854775808,"task_id":-1}}"#,
        #"{"jsonrpc":"2.0","id":2,"method":"retry","params":{"job_id":9223372036854775807,"task_id":9223372036854775807}}"#,
    ])
    func wireNumbers(request: String) async throws {
        try await offPool {
            try withTarget { target in
                #expect(try target.taskmon(["submit", "--wait", "--", "echo", "hi"]).status == 0)
                let peer = try RawPeer(target.directory)
                try peer.hello()
                let answer = try peer.ask(request)
                #expect(answer.contains(#""id":2"#), "\(answer)")
                #expect(target.alive, "the scheduler died on \(request)")
                #expect(target.answers)
            }
        }
    }

    @Test("a page of a big job is bounded even when no limit is given")
    func boundedPage() async throws {
        try await offPool {
            try withTarget { target in
                // Held back by a setup that waits, so that 25,000 processes do not load the machine.
                let spec = JobSpec(environment: EnvironmentSpec(setup: ["sleep", "60"]),
                                   tasks: Array(repeating: TaskSpec(command: ["true"]), count: 25_000))
                let client = try target.client(timeout: .seconds(120))
                let job = try client.submit(spec)
                let page = try client.call(.getJob, JobQuery(jobID: job.jobID, includeTasks: true, rowsOnly: true), as: JobInfo.self)
                #expect(page.taskRows?.count == WireLimits.maxTaskPage)
                #expect(page.taskCount == 25_000)
                try client.cancel(job.jobID)
            }
        }
    }

    @Test("specs that would fail only at launch are refused at submit, naming the key", arguments: [
        (#"{"tasks": [{"command": ["true"], "env": {"A=B": "x"}}]}"#, "tasks[0].env.A=B"),
        (#"{"tasks": [{"command": ["true"], "env": {"": "x"}}]}"#, "tasks[0].env"),
        (#"{"tasks": [{"command": ["true", "a\u0000b"]}]}"#, "tasks[0].command[1]"),
        (#"{"environment": {"env": {"K": "a\u0000"}}, "tasks": [{"command": ["true"]}]}"#, "environment.env.K"),
        (#"{"tasks": [{"command": ["true"], "cwd": "/nonexistent-folder-of-taskmon"}]}"#, "tasks[0].cwd"),
        (#"{"tasks": [{"command": ["true"], "cwd": "/etc/passwd"}]}"#, "tasks[0].cwd"),
        (#"{"tasks": [{"command": ["/etc/passwd"]}]}"#, "permission denied"),
    ])
    func refusedAtSubmit(spec: String, key: String) async throws {
        try await offPool {
            try withTarget { target in
                let path = try writeSpec(spec, in: target.directory)
                let result = try target.taskmon(["submit", path])
                #expect(result.status == 2, "\(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains(key), "\(result.stderr)")
                #expect(try target.client().jobs().isEmpty)
            }
        }
    }

    @Test("a relative cwd is taken where `taskmon submit` runs")
    func relativeCwd() async throws {
        try await offPool {
            try withTarget { target in
                let base = target.directory.path + "/work"
                try FileManager.default.createDirectory(atPath: base + "/sub", withIntermediateDirectories: true)
                let spec = try writeSpec(#"{"tasks": [{"command": ["pwd"], "cwd": "sub"}]}"#, in: target.directory)
                var env = ProcessInfo.processInfo.environment
                env["TASKMON_STATE_DIR"] = target.directory.path
                let out = Spawn.pipe()
                let err = Spawn.pipe()
                // `cd base && taskmon submit --wait spec`
                let pid = try Spawn.start(["/bin/sh", "-c", "cd \(base) && exec \(AttackedBinary.path) submit --wait \(spec)"],
                                          environment: env, stdout: out.write, stderr: err.write)
                close(out.write)
                close(err.write)
                let (stdout, stderr, _) = Spawn.drain(out.read, err.read, deadline: Date().addingTimeInterval(60))
                #expect(Spawn.wait(pid) == 0, "\(String(decoding: stderr, as: UTF8.self))")
                _ = stdout
                let task = try target.client().task(1, 0)
                #expect(task.status == .completed)
                #expect(task.standardOutput == base + "/sub\n")
            }
        }
    }

    @Test("clear messages: invalid UTF-8, a spec over 64 MiB, a 5 MB name")
    func clearMessages() async throws {
        try await offPool {
            try withTarget { target in
                let utf8 = target.directory.path + "/bad.json"
                let invalid = Data(#"{"name": ""#.utf8) + Data([0xff, 0xfe]) + Data(#"", "tasks": [{"command": ["true"]}]}"#.utf8)
                _ = FileManager.default.createFile(atPath: utf8, contents: invalid)
                let bad = try target.taskmon(["submit", utf8])
                #expect(bad.status == 2)
                #expect(bad.stderr.contains("UTF-8"), "\(bad.stderr)")

                let big = target.directory.path + "/big.json"
                let filler = String(repeating: "x", count: 65 << 20)
                try #"{"description": "\#(filler)", "tasks": [{"command": ["true"]}]}"#.write(toFile: big, atomically: false, encoding: .utf8)
                let huge = try target.taskmon(["submit", big])
                #expect(huge.status == 2, "\(huge.stderr)")
                #expect(huge.stderr.contains("MiB"), "\(huge.stderr)")
                unlink(big)

                let longName = try writeSpec(#"{"name": "\#(String(repeating: "n", count: 5 << 20))", "tasks": [{"command": ["true"]}]}"#,
                                             in: target.directory, name: "named.json")
                let named = try target.taskmon(["submit", longName])
                #expect(named.status == 2)
                #expect(named.stderr.contains("name: 5242880 bytes long"), "\(named.stderr.prefix(300))")
                #expect(target.answers)
            }
        }
    }

    @Test("a 5 MB cancel message is cut to a bounded size")
    func cancelMessageBounded() async throws {
        try await offPool {
            try withTarget { target in
                #expect(try target.taskmon(["submit", "--", "sleep", "30"]).status == 0)
                let client = try target.client()
                try client.cancel(1, message: String(repeating: "m", count: 5 << 20))
                #expect(try eventually { try client.task(1, 0).status == .canceled })
                let message = try client.task(1, 0).cancellationMessage ?? ""
                #expect(message.utf8.count <= JobSpecLimits.maxMessageBytes + 100)
                #expect(message.hasPrefix("Canceled by"))
            }
        }
    }

    @Test("an int property of 1e300 and a progress beyond 32 bits are warnings, not wrong values")
    func channelNumbers() async throws {
        try await offPool {
            try withTarget { target in
                let script = #"printf '%s\n' '{"property": {"name": "Big", "int": 1e300}}' '{"property": {"name": "Fine", "int": 7}}' '{"progress": {"percent": 1e10}}' >> "$TASKMON_CHANNEL""#
                #expect(try target.taskmon(["submit", "--wait", "--", "sh", "-c", script]).status == 0)
                let task = try target.client().task(1, 0)
                #expect(task.properties["Big"] == nil)
                #expect(task.properties["Fine"] == .int(7))
                #expect(task.progress == nil)
                #expect(task.warnings.contains { $0.contains("Big") })
                #expect(task.warnings.contains { $0.contains("1e+10") || $0.contains("10000000000") })
            }
        }
    }

    @Test("requests followed by a half-close (SHUT_WR) are still answered")
    func halfClose() async throws {
        try await offPool {
            try withTarget { target in
                let script = """
                    import socket, sys
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(20)
                    s.connect(sys.argv[1])
                    s.sendall(b'{"jsonrpc":"2.0","id":0,"method":"hello","params":{"version":1,"client":"nc"}}\\n{"jsonrpc":"2.0","id":1,"method":"status","params":{}}')
                    s.shutdown(socket.SHUT_WR)
                    data = b""
                    while True:
                        chunk = s.recv(65536)
                        if not chunk: break
                        data += chunk
                    print(data.decode())
                    """
                let result = try python(script, [target.directory.socketPath], timeout: 30)
                #expect(result.stdout.contains(#""id":1"#), "\(result.stdout) \(result.stderr)")
                #expect(result.stdout.contains("busy_slots"))
            }
        }
    }

    @Test("a 60 MB line before hello is cut at 64 KiB; the scheduler keeps answering")
    func longLineBeforeHello() async throws {
        try await offPool {
            try withTarget { target in
                let script = """
                    import socket, sys
                    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                    s.settimeout(20)
                    s.connect(sys.argv[1])
                    sent = 0
                    try:
                        while sent < 60 * 1024 * 1024:
                            s.sendall(b"x" * 65536)
                            sent += 65536
                    except OSError:
                        pass
                    print("sent", sent)
                    try:
                        print(s.recv(65536).decode())
                    except OSError as e:
                        print("error", e)
                    """
                let result = try python(script, [target.directory.socketPath], timeout: 60)
                let sent = Int(result.stdout.split(separator: "\n").first?.split(separator: " ").last ?? "") ?? 0
                #expect(sent < 60 << 20, "the scheduler read 60 MB of a line before hello: \(result.stdout)")
                #expect(target.answers)
            }
        }
    }
}
