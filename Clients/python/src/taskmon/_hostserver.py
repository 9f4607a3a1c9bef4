"""A warm host: ``python -m taskmon.host --serve``, started by the scheduler's host pool.

It sets the job's task environment up once, in this process, then runs task after task, each
with file descriptors 1 and 2 on that task's own spool files (so output of C extensions and
subprocesses is caught too) and its own channel. The scheduler speaks to it over the socket
it was given as stdin, one JSON object a line (see ``HostProtocol.swift`` in the scheduler)::

    host -> {"hello": PID}
    <- {"op": "setup", "environment": PATH, "cwd": DIR, "stdout": PATH, "stderr": PATH}
    host -> {"setup": "ok"} | {"setup": "failed", "exception": {"type": ..., "message": ..., "trace": ...}}
    <- {"op": "task", "payload": PATH, "stdout": PATH, "stderr": PATH, "env": {NAME: VALUE}}
    host -> {"done": 0 | 1}
    <- {"op": "recycle", "stdout": PATH, "stderr": PATH}     teardown(), then exit

The end of the socket (the scheduler went away) recycles the host too.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
from typing import IO, Any, Dict, Iterator, Optional, Tuple

from taskmon import _payload
from taskmon.host import SETUP_EXCEPTION_FILE, _picklable_exception, _run_task, _trace

__all__ = ["serve", "run_once"]

_OUTPUT_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


@contextlib.contextmanager
def _redirected(stdout: Optional[str], stderr: Optional[str]) -> Iterator[None]:
    """fds 1 and 2 on the given files for the duration (the same file once if both are one);
    files left empty are removed again, as the scheduler creates spool files on the first byte."""
    if not stdout or not stderr:
        yield
        return
    _flush()
    saved = (os.dup(1), os.dup(2))
    out = os.open(stdout, _OUTPUT_FLAGS, 0o644)
    err = out if stderr == stdout else os.open(stderr, _OUTPUT_FLAGS, 0o644)
    try:
        os.dup2(out, 1)
        os.dup2(err, 2)
        yield
    finally:
        _flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd, path in ((out, stdout),) if err == out else ((out, stdout), (err, stderr)):
            try:
                if os.fstat(fd).st_size == 0:
                    os.unlink(path)
            except OSError:
                pass
            os.close(fd)
        os.close(saved[0])
        os.close(saved[1])


class _Spool:
    """fds 1 and 2 of the host, per task, on the task's spool files, with as few new inodes as
    possible (a new inode is the hot path's cost on ext4, and a removed one makes the next ones
    slower): each stream writes into a scratch file of the host in the job's output folder, which
    is hard-linked at the task's spool path while the task runs (so its output can be followed
    live). After the task, a scratch that stayed empty is unlinked from the spool path and used
    again; one with output stays there as the task's file, and the next task gets a fresh scratch."""

    def __init__(self) -> None:
        self.folder: Optional[str] = None
        self.scratch: Dict[str, Tuple[str, int]] = {}

    def _fresh(self, stream: str) -> Tuple[str, int]:
        assert self.folder is not None
        path = os.path.join(self.folder, ".host-%d.%s" % (os.getpid(), stream))
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        fd = os.open(path, _OUTPUT_FLAGS | os.O_EXCL, 0o644)
        self.scratch[stream] = (path, fd)
        return path, fd

    def _move_to(self, folder: str) -> None:
        if folder == self.folder:
            return
        self.close()
        self.folder = folder

    def close(self) -> None:
        for path, fd in self.scratch.values():
            os.close(fd)
            try:
                os.unlink(path)
            except OSError:
                pass
        self.scratch.clear()

    @contextlib.contextmanager
    def redirected(self, stdout: Optional[str], stderr: Optional[str]) -> Iterator[None]:
        if not stdout or not stderr:
            yield
            return
        self._move_to(os.path.dirname(stdout))
        streams = {"stdout": stdout} if stderr == stdout else {"stdout": stdout, "stderr": stderr}
        linked: Dict[str, Tuple[str, int]] = {}
        for stream, target in streams.items():
            scratch, fd = self.scratch.get(stream) or self._fresh(stream)
            try:
                os.link(scratch, target)
            except FileExistsError:
                os.unlink(target)
                os.link(scratch, target)
            linked[stream] = (target, fd)
        _flush()
        saved = (os.dup(1), os.dup(2))
        out_fd = linked["stdout"][1]
        err_fd = linked.get("stderr", linked["stdout"])[1]
        try:
            os.dup2(out_fd, 1)
            os.dup2(err_fd, 2)
            yield
        finally:
            _flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            for stream, (target, fd) in linked.items():
                try:
                    empty = os.fstat(fd).st_size == 0
                except OSError:
                    empty = False
                if empty:
                    try:
                        os.unlink(target)  # a name, not the inode: the scratch keeps it
                    except OSError:
                        pass
                else:
                    # The file stays the task's; the host writes the next task's elsewhere.
                    path = self.scratch.pop(stream)[0]
                    os.close(fd)
                    try:
                        os.unlink(path)
                    except OSError:
                        pass


class _Host:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.environment: Any = None
        self.set_up = False
        self.busy = False
        self.spool = _Spool()
        self.base_environ = dict(os.environ)

    def send(self, message: Dict[str, Any]) -> None:
        self.control.sendall((json.dumps(message, separators=(",", ":")) + "\n").encode("utf-8"))

    def setup(self, message: Dict[str, Any]) -> None:
        path = message["environment"]
        with _redirected(message.get("stdout"), message.get("stderr")):
            failure = _set_up(path, self)
        if failure is None:
            self.send({"setup": "ok"})
        else:
            self.send({"setup": "failed", "exception": failure})

    def task(self, message: Dict[str, Any]) -> None:
        self.busy = True
        try:
            self._task(message)
        finally:
            self.busy = False

    def _task(self, message: Dict[str, Any]) -> None:
        env = message.get("env") or {}
        os.environ.update(env)
        try:
            with self.spool.redirected(message.get("stdout"), message.get("stderr")):
                status = _run_task(message["payload"], self.environment)
        finally:
            for name in env:
                if name in self.base_environ:
                    os.environ[name] = self.base_environ[name]
                else:
                    os.environ.pop(name, None)
        self.send({"done": status})

    def recycle(self, message: Optional[Dict[str, Any]] = None) -> None:
        if not self.set_up:
            return
        self.set_up = False
        teardown = getattr(self.environment, "teardown", None)
        if not callable(teardown):
            return
        with _redirected((message or {}).get("stdout"), (message or {}).get("stderr")):
            try:
                teardown()
            except BaseException as error:
                if not (isinstance(error, SystemExit) and error.code in (None, 0)):
                    sys.stderr.write(_trace(error))


def _set_up(path: str, host: Any) -> Optional[Dict[str, str]]:
    """Unpickles the environment, moves to its working_directory, calls setup(); None when it
    worked, else the exception as the scheduler records it (its pickle goes beside ``path``)."""
    exception_path = os.path.join(os.path.dirname(os.path.abspath(path)), SETUP_EXCEPTION_FILE)
    try:
        environment = _payload.read_payload(path)
        host.environment = environment
        folder = getattr(environment, "working_directory", None)
        if folder:
            os.chdir(os.path.expanduser(str(folder)))
        setup = getattr(environment, "setup", None)
        if callable(setup):
            setup()
        host.set_up = True
        return None
    except BaseException as error:
        if isinstance(error, SystemExit) and error.code in (None, 0):
            host.set_up = True
            return None
        trace = _trace(error)
        sys.stderr.write(trace)
        try:
            _payload.write_atomically(exception_path, _picklable_exception(error, trace))
        except OSError:
            pass
        return {"type": _payload.type_name(error), "message": str(error), "trace": trace}


def _watch_scheduler(control: socket.socket, host: _Host) -> None:
    """If the scheduler goes away while a task runs, nothing of the task may outlive it: the
    host kills its own process group (an idle host just sees the end of its socket, tears down
    and exits)."""
    import select
    import signal
    import threading

    rdhup = getattr(select, "POLLRDHUP", 0x2000)

    def watch() -> None:
        poller = select.poll()
        poller.register(control.fileno(), rdhup)
        while True:
            try:
                events = poller.poll()
            except OSError:
                return
            if any(mask & (rdhup | select.POLLHUP | select.POLLERR) for _, mask in events):
                if host.busy:
                    os.killpg(os.getpgrp(), signal.SIGKILL)
                return

    threading.Thread(target=watch, name="taskmon-host-watch", daemon=True).start()


def serve() -> int:
    """The host's loop; returns its exit status."""
    try:
        control = socket.socket(fileno=os.dup(0))  # os.dup: not inherited by subprocesses
    except OSError as error:
        sys.stderr.write("taskmon.host --serve: stdin is not the scheduler's socket (%s); the scheduler runs this\n" % error)
        return 2
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.close(null)
    host = _Host(control)
    _watch_scheduler(control, host)
    host.send({"hello": os.getpid()})
    reader: IO[bytes] = control.makefile("rb")
    recycled = False
    for line in reader:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        op = message.get("op")
        if op == "task":
            host.task(message)
        elif op == "setup":
            host.setup(message)
        elif op == "recycle":
            host.recycle(message)
            recycled = True
            break
    if not recycled:
        host.recycle()
    host.spool.close()
    _flush()
    return 0


def run_once(environment_path: str, payload_path: str) -> int:
    """A one-shot host with an environment (where no warm host can run the task): setup, the task,
    teardown, in this one process."""

    class _Once:
        environment: Any = None
        set_up = False

    once = _Once()
    failure = _set_up(environment_path, once)
    if failure is not None:
        return 1
    try:
        return _run_task(payload_path, once.environment)
    finally:
        teardown = getattr(once.environment, "teardown", None)
        if callable(teardown):
            try:
                teardown()
            except BaseException as error:
                sys.stderr.write(_trace(error))
