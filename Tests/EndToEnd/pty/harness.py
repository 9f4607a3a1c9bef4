"""Drive the real taskmon binary in a pseudo-terminal and read its screen with pyte.

Each test gets a real scheduler (``taskmon serve``) on a fresh state dir, and a
``MonitorSession``: ``taskmon`` running in a pty of a chosen size, whose output is fed into a
pyte VT100 emulator so tests can read the screen, colours and attributes as a user sees them.
"""
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import tempfile
import termios
import time

import pyte

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def taskmon_binary():
    """The taskmon binary under test: $TASKMON_BIN, else the debug build of this checkout."""
    explicit = os.environ.get("TASKMON_BIN")
    if explicit:
        return explicit
    path = subprocess.run(["swift", "build", "--show-bin-path"], cwd=REPO, check=True,
                          capture_output=True, text=True).stdout.strip()
    return os.path.join(path, "taskmon")


class Scheduler:
    """``taskmon serve`` on a fresh state dir, plus CLI helpers against it."""

    def __init__(self, binary, slots=2, kill_grace=1):
        self.binary = binary
        # Unix socket paths are short: keep the state dir directly under /tmp.
        self.state_dir = tempfile.mkdtemp(prefix="tmp-", dir="/tmp")
        self.env = dict(os.environ, TASKMON_STATE_DIR=self.state_dir)
        self.slots = slots
        self.kill_grace = kill_grace
        self.process = None
        self.start()

    def start(self):
        log = open(os.path.join(self.state_dir, "serve.out"), "ab")
        self.process = subprocess.Popen(
            [self.binary, "serve", "--slots", str(self.slots), "--kill-grace", str(self.kill_grace)],
            env=self.env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.cli("jobs", check=False).returncode == 0:
                return
            time.sleep(0.05)
        raise RuntimeError("scheduler did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def close(self):
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def cli(self, *args, check=True):
        return subprocess.run([self.binary, *args], env=self.env, capture_output=True, text=True, check=check,
                              timeout=60)

    def submit(self, spec):
        path = os.path.join(self.state_dir, "spec-%d.json" % time.monotonic_ns())
        with open(path, "w") as handle:
            json.dump(spec, handle)
        out = self.cli("submit", "--json", path).stdout
        return json.loads(out)["job_id"]

    def wait(self, job, timeout=30):
        self.cli("wait", str(job), "--timeout", str(timeout))

    def task(self, job, task):
        return json.loads(self.cli("show", "%s/%s" % (job, task), "--json").stdout)

    def wait_for_status(self, job, task, status, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.task(job, task)["task_status"] == status:
                return
            time.sleep(0.05)
        raise AssertionError("task %s/%s never reached %s" % (job, task, status))


class MonitorSession:
    """``taskmon`` (the monitor) in a pty of ``columns`` x ``rows``, read through pyte."""

    def __init__(self, binary, env, columns=100, rows=30, args=(), term="tmux-256color"):
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.columns, self.rows = columns, rows
        env = dict(env, TERM=term, LANG="C.UTF-8", ESCDELAY="25")
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execve(binary, [binary, *args], env)
        self._set_size(columns, rows)
        self.exit_status = None

    def _set_size(self, columns, rows):
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))

    def pump(self, seconds=0.05):
        """Reads whatever the monitor wrote within `seconds` into the emulator."""
        deadline = time.time() + seconds
        while True:
            remaining = deadline - time.time()
            ready, _, _ = select.select([self.fd], [], [], max(0, remaining))
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                self.raw.extend(data)
                self.stream.feed(data)
            elif remaining <= 0:
                return

    def text(self):
        return "\n".join(self.screen.display)

    def line(self, y):
        return self.screen.display[y]

    def wait_for(self, needle, timeout=10):
        """Pumps output until `needle` is on screen; fails with the screen otherwise."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.pump(0.05)
            if needle in self.text():
                return
        raise AssertionError("%r not on screen after %ss:\n%s" % (needle, timeout, self.text()))

    def wait_until(self, predicate, timeout=10, what="condition"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.pump(0.05)
            if predicate():
                return
        raise AssertionError("%s not met after %ss:\n%s" % (what, timeout, self.text()))

    def send(self, keys, settle=0.15):
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)
        self.pump(settle)

    # Keys in keypad-transmit mode (ncurses turns it on with keypad()).
    DOWN, UP, RIGHT, LEFT = "\x1bOB", "\x1bOA", "\x1bOC", "\x1bOD"
    ENTER, ESC, TAB = "\r", "\x1b", "\t"

    def resize(self, columns, rows):
        self.screen.resize(rows, columns)
        self.columns, self.rows = columns, rows
        self._set_size(columns, rows)
        self.pump(0.3)

    def column_of(self, y, needle):
        """The screen column where `needle` starts in row `y` (wide characters count 2)."""
        text, columns = "", []
        for x in range(self.columns):
            data = self.screen.buffer[y][x].data
            for character in data:
                text += character
                columns.append(x)
        index = text.index(needle)
        return columns[index]

    def find_row(self, needle, below=-1):
        """The first row (after row `below`) that contains `needle`."""
        for y, line in enumerate(self.screen.display):
            if y > below and needle in line:
                return y
        raise AssertionError("%r not on screen:\n%s" % (needle, self.text()))

    def is_selected(self, y, x):
        """The selection bar: reverse video (no colour) or a background colour (themes)."""
        cell = self.screen.buffer[y][x]
        return cell.reverse or cell.bg != "default"

    def select_row(self, needle, below=-1, max_steps=200):
        """Moves the selection down to the first row after `below` containing `needle`."""
        for _ in range(max_steps):
            y = self.find_row(needle, below)
            if self.is_selected(y, self.column_of(y, needle)):
                return
            self.send(self.DOWN, 0.08)
        raise AssertionError("could not select %r:\n%s" % (needle, self.text()))

    def open_task(self, job_name, task_name, tab=None):
        """From the jobs screen: selects `job_name`, opens it, selects `task_name`, opens its
        detail and, if given, switches to tab number `tab`."""
        self.wait_for(job_name)
        self.select_row(job_name)
        self.send(self.ENTER)
        self.wait_until(lambda: task_name in "\n".join(self.screen.display[3:]), what="%r listed" % task_name)
        self.select_row(task_name, below=2)
        self.send(self.ENTER)
        if tab is not None:
            self.send(str(tab))

    def terminal_modes(self):
        """The pty's termios flags (lflag) as the monitor left them."""
        return termios.tcgetattr(self.fd)[3]

    def wait_exit(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            self.pump(0.05)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == self.pid:
                self.exit_status = status
                self.pump(0.1)
                return os.waitstatus_to_exitcode(status)
        raise AssertionError("monitor did not exit:\n%s" % self.text())

    def close(self):
        if self.exit_status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass
