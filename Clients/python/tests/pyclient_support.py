"""Helpers of the Python client's tests: a real scheduler on a temp state dir, and running
scripts against it. (Not named conftest, so that test folders elsewhere in the repo with a
conftest of their own cannot shadow it.)"""

import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TESTS = pathlib.Path(__file__).resolve().parent
CLIENT = TESTS.parent
REPO = CLIENT.parent.parent

# The client under test is always this tree's: an older copy installed in site-packages (a
# `pip install` from weeks ago) would otherwise be tested instead, and fail on what it lacks.
sys.path.insert(0, str(CLIENT / "src"))
import taskmon  # noqa: E402,F401

from taskmon._protocol import Connection  # noqa: E402
from taskmon.client import JobScheduler  # noqa: E402
from taskmon.errors import SchedulerNotRunningError  # noqa: E402

PACKAGE_ROOT = str(pathlib.Path(taskmon.__file__).resolve().parent.parent)


def find_binary():
    """$TASKMON_BIN, else `swift build --show-bin-path`/taskmon (nothing is built); None if neither."""
    explicit = os.environ.get("TASKMON_BIN")
    if explicit:
        return explicit
    try:
        out = subprocess.run(["swift", "build", "--show-bin-path"], cwd=str(REPO), capture_output=True,
                             text=True, check=True, timeout=300)
    except (OSError, subprocess.SubprocessError):
        return None
    return os.path.join(out.stdout.strip().splitlines()[-1], "taskmon")


class RunningScheduler:
    """`taskmon serve` on a temp state dir, stopped (and the dir removed) at teardown."""

    def __init__(self, binary, slots=2, kill_grace=1.0):
        self.binary = binary
        # Short, under /tmp: a Unix socket path has at most 107 bytes.
        self.root = tempfile.mkdtemp(prefix="tmpy", dir="/tmp")
        self.state_dir = os.path.join(self.root, "state")
        self.log_path = os.path.join(self.root, "serve.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [binary, "serve", "--state-dir", self.state_dir, "--slots", str(slots), "--kill-grace", str(kill_grace)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                Connection(os.path.join(self.state_dir, "scheduler.sock"), timeout=5).close()
                return
            except SchedulerNotRunningError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("taskmon serve did not start: " + open(self.log_path).read())
                time.sleep(0.02)

    def client(self, **options):
        options.setdefault("start_scheduler", False)
        options.setdefault("timeout", 30)
        return JobScheduler(state_dir=self.state_dir, **options)

    def env(self):
        """Environment for a script run against this scheduler."""
        env = dict(os.environ)
        env["TASKMON_STATE_DIR"] = self.state_dir
        env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_ROOT, env.get("PYTHONPATH")) if p)
        return env

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def run_script(path, scheduler, *args, timeout=90, cwd=None):
    """Runs a Python script as a user would (`python3 script.py`), against `scheduler`."""
    return subprocess.run([sys.executable, str(path)] + list(args), env=scheduler.env(), cwd=cwd or str(TESTS),
                          capture_output=True, text=True, timeout=timeout)
