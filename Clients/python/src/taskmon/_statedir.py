"""Finding the scheduler: its state dir and socket, as the CLI does, and starting one if asked.

State dir: the ``state_dir`` given, else ``$TASKMON_STATE_DIR``, else ``$XDG_STATE_HOME/taskmon``,
else ``~/.local/state/taskmon`` (``StateDirectory.resolve`` in the Swift sources).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import List, Mapping, Optional

from taskmon._protocol import Connection
from taskmon.errors import SchedulerNotRunningError

__all__ = ["resolve_state_dir", "socket_path_of", "find_taskmon", "start_scheduler"]

# Schedulers started from here: kept so that their Popen objects are never collected (and
# warn) while they run on after this process.
_STARTED: "List[subprocess.Popen[bytes]]" = []


def resolve_state_dir(explicit: "Optional[str | os.PathLike[str]]" = None, environ: Optional[Mapping[str, str]] = None) -> str:
    """The state dir the CLI would use."""
    environ = os.environ if environ is None else environ
    if explicit:
        path = os.fspath(explicit)
    elif environ.get("TASKMON_STATE_DIR"):
        path = environ["TASKMON_STATE_DIR"]
    elif environ.get("XDG_STATE_HOME"):
        path = os.path.join(environ["XDG_STATE_HOME"], "taskmon")
    else:
        home = environ.get("HOME") or os.path.expanduser("~")
        path = os.path.join(home, ".local", "state", "taskmon")
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def socket_path_of(state_dir: str) -> str:
    return os.path.join(state_dir, "scheduler.sock")


def find_taskmon(environ: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The ``taskmon`` executable: ``$TASKMON_BIN``, else the one on PATH; ``None`` if neither."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("TASKMON_BIN")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    return shutil.which("taskmon", path=environ.get("PATH"))


def start_scheduler(binary: str, state_dir: str, wait: float = 10.0) -> int:
    """Starts ``taskmon serve --state-dir STATE_DIR`` in the background, detached, logging to the
    state dir's ``scheduler.log``, and waits until it answers; returns its pid."""
    os.makedirs(state_dir, mode=0o700, exist_ok=True)
    log_path = os.path.join(state_dir, "scheduler.log")
    with open(log_path, "ab") as log, open(os.devnull, "rb") as null:
        process = subprocess.Popen(
            [binary, "serve", "--state-dir", state_dir], stdin=null, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True, close_fds=True)
    _STARTED.append(process)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            Connection(socket_path_of(state_dir), timeout=2.0).close()
            return process.pid
        except SchedulerNotRunningError:
            pass
        if process.poll() is not None:
            last = ""
            try:
                with open(log_path, "r", errors="replace") as f:
                    lines = [line for line in f.read().splitlines() if line.strip()]
                last = lines[-1] if lines else ""
            except OSError:
                pass
            raise SchedulerNotRunningError(
                "the scheduler started with %s exited at once (status %s): %s"
                % (binary, process.returncode, last or "no message"))
        time.sleep(0.02)
    raise SchedulerNotRunningError(
        "started a scheduler (pid %d) but it did not answer within %g s; see %s" % (process.pid, wait, log_path))


def announce(message: str) -> None:
    sys.stderr.write("taskmon: %s\n" % message)
    sys.stderr.flush()
