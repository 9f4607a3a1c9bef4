import Foundation
import TaskmonTestSupport
import Testing
import TaskmonKit

/// A small tmpfs, so that a full disk is real and quick (root only; skipped otherwise).
final class SmallDisk {
    let path: String

    init?(megabytes: Int) {
        guard geteuid() == 0 else { return nil }
        path = Target.makeFolder("/tmp/tmfull-")
        let mounted = try? run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(megabytes)m,mode=0700", "tmpfs", path], timeout: 20)
        guard mounted?.status == 0 else {
            rmdir(path)
            return nil
        }
    }

    /// Fills what is left with a file of zeros; returns its path.
    func fill() -> String {
        let filler = path + "/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let block = [UInt8](repeating: 0, count: 64 << 10)
        while write(fd, block, block.count) > 0 {}
        // The last few bytes of a tmpfs go one page at a time.
        while write(fd, block, 1) > 0 {}
        close(fd)
        return filler
    }

    deinit {
        _ = try? run("/bin/umount", ["-l", path], timeout: 20)
        rmdir(path)
    }
}

@Suite("Issue 9: a full disk is reported and recovered from; replay delivers every event (real binary)", .serialized)
struct TrustStorageTests {
    @Test("on a full disk `status` says so at once, nothing hangs, and it recovers when space returns")
    func fullDisk() async throws {
        try await offPool {
            guard let disk = SmallDisk(megabytes: 16) else { return }
            let target = Target(directory: StateDirectory(path: disk.path + "/state"))
            defer {
                target.stop()
                unlink(target.logPath)
            }
            try target.start()
            #expect(try target.taskmon(["submit", "--wait", "--", "true"]).status == 0)
            let filler = disk.fill()
            // A job whose rows (300 tasks of a 1 kB command) cannot be written to a full disk.
            let submit = try target.taskmon(["submit", "--count", "300", "--", "true", String(repeating: "a", count: 1000)],
                                            environment: ["TASKMON_CLIENT_TIMEOUT": "20"], timeout: 40)
            #expect(submit.status != 0, "a submit was acknowledged that could not be stored: \(submit.stdout)")
            #expect(submit.stderr.contains("not stored yet") || submit.stderr.contains("did not answer"), "\(submit.stderr)")
            let stuck = try eventually(30) {
                let status = try target.taskmon(["status"], environment: ["TASKMON_CLIENT_TIMEOUT": "5"], timeout: 20)
                return status.status == 3 && status.stdout.contains("no space left on device")
            }
            #expect(stuck || submit.status != 0, "status never reported the full disk: \(submit.stderr)")
            // Queries still answer meanwhile.
            let jobs = try target.taskmon(["jobs"], environment: ["TASKMON_CLIENT_TIMEOUT": "10"], timeout: 30)
            #expect(jobs.status == 0, "\(jobs.stderr)")
            unlink(filler)
            let recovered = try eventually(30) {
                try target.taskmon(["status"], environment: ["TASKMON_CLIENT_TIMEOUT": "5"], timeout: 20).status == 0
            }
            #expect(recovered, "the storage error did not clear once space returned")
            #expect(target.alive)
            let integrity = try run("/usr/bin/sqlite3", [target.directory.databasePath, "PRAGMA integrity_check"])
            #expect(integrity.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")
        }
    }

    @Test("subscribe after_seq 0 replays every stored event, in order, past the in-memory window")
    func fullReplay() async throws {
        try await offPool {
            let target = Target()
            defer { target.cleanUp() }
            try target.start()
            // 80,000 progress lines: 80,000 events, more than the 65,536 kept in memory.
            let script = #"python3 -c 'import os; f = open(os.environ["TASKMON_CHANNEL"], "a"); [f.write("{\"progress\": {\"percent\": %d}}\n" % (i % 100)) for i in range(80000)]'"#
            #expect(try target.taskmon(["submit", "--wait", "--", "sh", "-c", script], timeout: 120).status == 0)
            // A restart: nothing in memory, all from the database.
            target.stop()
            try target.start()
            let client = try target.client()
            let last = try client.status().lastSeq
            #expect(last >= 80_000)
            let subscription = try client.subscribe(afterSeq: 0)
            defer { subscription.cancel() }
            var expected: UInt64 = 1
            var resync: ResyncNotice?
            while expected <= last {
                guard let message = try subscription.next(timeout: .seconds(30)) else { break }
                switch message {
                case .event(let event):
                    #expect(event.seq == expected, "event \(event.seq) came where \(expected) was due")
                    if event.seq != expected { return }
                    expected += 1
                case .resync(let notice):
                    resync = notice
                }
                if resync != nil { break }
            }
            #expect(resync == nil, "a replay of stored events ended in a resync: \(resync?.reason ?? "")")
            #expect(expected == last + 1, "replayed up to \(expected - 1) of \(last)")
        }
    }
}
