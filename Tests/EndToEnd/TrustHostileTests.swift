import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

@Suite("Issue 9: hostile tasks and other people's files (real binary)")
struct TrustHostileTests {
    @Test("a channel swapped for a FIFO, /dev/zero or a link to a secret neither hangs nor leaks", arguments: [
        #"rm -f "$TASKMON_CHANNEL"; mkfifo "$TASKMON_CHANNEL"; sleep 1"#,
        #"ln -sf /dev/zero "$TASKMON_CHANNEL"; sleep 1"#,
        #"ln -sf "$SECRET" "$TASKMON_CHANNEL"; sleep 1"#,
    ])
    func hostileChannel(script: String) async throws {
        try await offPool {
            try withTarget { target in
                // A file the task points its channel at; were it followed, its line would become the exception.
                let secret = target.directory.path + ".secret"
                try #"{"exception": {"type": "LEAKED", "message": "the secret", "trace": ""}}"#.write(toFile: secret, atomically: true, encoding: .utf8)
                chmod(secret, 0o600)
                defer { unlink(secret) }
                let spec = JobSpec(tasks: [TaskSpec(command: ["sh", "-c", script], env: ["SECRET": secret])])
                let client = try target.client()
                let job = try client.submit(spec)
                // The scheduler answers all along, and the task ends.
                let done = try eventually(30) {
                    guard target.answers else { return false }
                    return try client.job(job.jobID).isDone
                }
                #expect(done, "the job did not finish, or the scheduler stopped answering: \(target.log.suffix(500))")
                #expect(target.alive)
                let task = try client.task(job.jobID, 0)
                #expect(task.exception?.type != "LEAKED")
                #expect(!task.warnings.joined().contains("the secret"))
                #expect(task.warnings.contains { $0.contains("not read") || $0.contains("not followed") }, "\(task.warnings)")
            }
        }
    }

    @Test("a state dir others can write, or not ours, is refused and never chmod-ed")
    func untrustedStateDir() async throws {
        try await offPool {
            let shared = Target.makeFolder()
            defer { try? FileManager.default.removeItem(atPath: shared) }
            chmod(shared, 0o1777)
            let result = try run(AttackedBinary.path, ["serve", "--state-dir", shared], timeout: 20)
            #expect(result.status != 0)
            #expect(result.stderr.contains("writable by others"), "\(result.stderr)")
            var info = stat()
            stat(shared, &info)
            #expect(info.st_mode & 0o7777 == 0o1777, "the scheduler changed the mode of a folder it does not own alone")
            // `submit` does not start a scheduler (nor write its log) there either.
            let submit = try run(AttackedBinary.path, ["submit", "--", "true"], environment: ["TASKMON_STATE_DIR": shared], timeout: 30)
            #expect(submit.status == 1)
            #expect(submit.stderr.contains("refusing the state dir"), "\(submit.stderr)")
            #expect(!FileManager.default.fileExists(atPath: shared + "/scheduler.log"))

            let theirs = Target.makeFolder()
            defer { try? FileManager.default.removeItem(atPath: theirs) }
            chown(theirs, 65534, 65534)
            let foreign = try run(AttackedBinary.path, ["serve", "--state-dir", theirs], timeout: 20)
            #expect(foreign.status != 0)
            #expect(foreign.stderr.contains("belongs to uid 65534"), "\(foreign.stderr)")
        }
    }

    @Test("links planted in a state dir are never followed: the files they point to stay intact")
    func plantedLinks() async throws {
        try await offPool {
            for planted in ["scheduler.lock", "taskmon.db", "output"] {
                let directory = Target.makeFolder()
                let victim = directory + ".victim"
                defer {
                    try? FileManager.default.removeItem(atPath: directory)
                    try? FileManager.default.removeItem(atPath: victim)
                }
                if planted == "output" {
                    try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: false)
                } else {
                    try "precious\n".write(toFile: victim, atomically: true, encoding: .utf8)
                }
                symlink(victim, directory + "/" + planted)
                let result = try run(AttackedBinary.path, ["serve", "--state-dir", directory], timeout: 20)
                #expect(result.status != 0, "the scheduler started with \(planted) linked elsewhere")
                #expect(result.stderr.contains(planted), "\(result.stderr)")
                if planted == "output" {
                    #expect((try? FileManager.default.contentsOfDirectory(atPath: victim)) == [])
                } else {
                    #expect((try? String(contentsOfFile: victim, encoding: .utf8)) == "precious\n", "\(planted) → victim was written")
                }
            }
        }
    }

    @Test("with umask 000 the folders are 0700 and the database 0600")
    func umaskIgnored() async throws {
        try await offPool {
            let parent = Target.makeFolder()
            defer { try? FileManager.default.removeItem(atPath: parent) }
            let directory = StateDirectory(path: parent + "/state")
            let out = Spawn.pipe()
            let pid = try Spawn.start(
                ["/bin/sh", "-c", "umask 000; exec \(AttackedBinary.path) serve --state-dir \(directory.path)"],
                environment: ProcessInfo.processInfo.environment, stdout: out.write, stderr: out.write)
            close(out.write)
            defer {
                kill(pid, SIGTERM)
                _ = Spawn.wait(pid)
                close(out.read)
            }
            #expect(eventually { (try? SchedulerClient.connect(directory, timeout: .seconds(5))) != nil })
            #expect(try run(AttackedBinary.path, ["submit", "--wait", "--", "echo", "x"], environment: ["TASKMON_STATE_DIR": directory.path]).status == 0)
            func mode(_ path: String) -> mode_t {
                var info = stat()
                lstat(path, &info)
                return info.st_mode & 0o777
            }
            #expect(mode(directory.path) == 0o700)
            #expect(mode(directory.outputPath) == 0o700)
            #expect(mode(directory.databasePath) == 0o600)
            #expect(mode(directory.lockPath) == 0o600)
            #expect(mode(directory.socketPath) == 0o600)
        }
    }

    @Test("another user gets \"permission denied\", and the client never talks to another user's listener")
    func secondUser() async throws {
        try await offPool {
            guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else { return }
            // The binary must be reachable by uid 65534 (the build folder may be private).
            let copy = Target.makeFolder() + "/taskmon"
            defer { try? FileManager.default.removeItem(atPath: (copy as NSString).deletingLastPathComponent) }
            // Copied by a process of its own: a descriptor of ours open for writing the copy could
            // leak into a child another test forks meanwhile, and exec would fail with ETXTBSY.
            #expect(try run("/bin/cp", [AttackedBinary.path, copy]).status == 0)
            chmod((copy as NSString).deletingLastPathComponent, 0o755)
            let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", copy]

            // Root's scheduler, used by nobody.
            try withTarget { target in
                let denied = try run(asNobody[0], Array(asNobody.dropFirst()) + ["jobs", "--state-dir", target.directory.path], timeout: 20)
                #expect(denied.status == 1)
                #expect(denied.stderr.contains("permission denied"), "\(denied.stderr)")
                #expect(!denied.stderr.contains("lost the connection"))
            }

            // A listener of nobody's where root's client looks: root must not send it anything.
            let theirs = Target.makeFolder()
            defer { try? FileManager.default.removeItem(atPath: theirs) }
            chown(theirs, 65534, 65534)
            let listener = """
                import os, socket, sys
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(sys.argv[1]); s.listen(8)
                s.settimeout(30)
                c, _ = s.accept()
                c.settimeout(10)
                f = c.makefile("rwb")
                for line in f:
                    req = line.decode()
                    print("received", req[:200], flush=True)
                    if '"hello"' in req:
                        f.write(b'{"jsonrpc":"2.0","id":0,"result":{"version":1,"scheduler_pid":1,"state_dir":"x","slots":1}}\\n')
                    else:
                        f.write(b'{"jsonrpc":"2.0","id":1,"result":{"job_id":4242,"task_count":1}}\\n')
                    f.flush()
                """
            let log = theirs + "/listener.log"
            let fd = open(log, O_WRONLY | O_CREAT | O_CLOEXEC, 0o666)
            chown(log, 65534, 65534)
            let pid = try Spawn.start(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3", "-c", listener, theirs + "/scheduler.sock"],
                                      environment: ProcessInfo.processInfo.environment, stdout: fd, stderr: fd)
            close(fd)
            defer {
                kill(pid, SIGKILL)
                _ = Spawn.wait(pid)
            }
            #expect(eventually { FileManager.default.fileExists(atPath: theirs + "/scheduler.sock") })
            let submit = try run(AttackedBinary.path, ["submit", "--name", "root's secret spec", "--", "true"],
                                 environment: ["TASKMON_STATE_DIR": theirs], timeout: 30)
            #expect(submit.status != 0, "root's client believed another user's listener: \(submit.stdout)")
            #expect(!submit.stdout.contains("4242"))
            #expect(submit.stderr.contains("permission denied"), "\(submit.stderr)")
            let heard = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(!heard.contains("received"), "the listener received: \(heard)")
        }
    }

    @Test("`wait --timeout 2` against a scheduler that never answers returns after about 2 s")
    func waitAgainstSilentScheduler() async throws {
        try await offPool {
            let directory = StateDirectory(path: Target.makeFolder())
            defer { try? FileManager.default.removeItem(atPath: directory.path) }
            let silent = """
                import socket, sys, time
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.bind(sys.argv[1]); s.listen(64)
                held = []
                s.settimeout(60)
                while True:
                    try:
                        c, _ = s.accept()
                    except OSError:
                        break
                    held.append(c)
                """
            let pid = try backgroundPython(silent, [directory.socketPath], log: directory.path + "/silent.log")
            defer {
                kill(pid, SIGKILL)
                _ = Spawn.wait(pid)
            }
            #expect(eventually { FileManager.default.fileExists(atPath: directory.socketPath) })
            let started = Date()
            let result = try run(AttackedBinary.path, ["wait", "1", "--timeout", "2"], environment: ["TASKMON_STATE_DIR": directory.path], timeout: 30)
            let took = Date().timeIntervalSince(started)
            #expect(result.status == 124, "\(result.stderr)")
            #expect(took < 20, "wait --timeout 2 took \(took) s")
            let status = try run(AttackedBinary.path, ["status"], environment: ["TASKMON_STATE_DIR": directory.path, "TASKMON_CLIENT_TIMEOUT": "2"], timeout: 30)
            #expect(status.status == 1)
            #expect(status.stderr.contains("did not answer"), "\(status.stderr)")
        }
    }
}
