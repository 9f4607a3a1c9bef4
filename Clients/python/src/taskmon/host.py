"""The task host: ``python -m taskmon.host PAYLOAD`` runs one Python task under the scheduler.

The scheduler starts it as an ordinary command task, with ``$TASKMON_CHANNEL`` naming the
task's channel file. The host

- unpickles the task object from ``PAYLOAD``;
- gives it ``set_property(name, value)``, ``get_property(name, default=None)`` and
  ``set_progress(percent, info=None)``, then calls ``execute()``;
- on return, pickles ``self.result`` and reports it through the channel (with its ``repr()``
  as the display text the monitor shows) and exits 0: the task is COMPLETED;
- on an uncaught exception, prints the traceback to standard error, reports the exception
  (type, message, trace) and the exception object itself as the result (or a
  :class:`~taskmon.errors.TaskError` carrying its type name and message when it cannot be
  pickled), and exits 1: the task is FAILED.

``python -m taskmon.host --setup PAYLOAD`` and ``--teardown PAYLOAD`` run a task environment's
``setup()`` and ``teardown()`` as the job's environment commands. When setup raises, the host
prints the traceback (the tasks' standard error shows it), keeps the pickled exception beside
the payload (``setup-exception.pickle``) for the client to return as each task's result, and
exits 1: every task of the job is ENVIRONMENT_ERROR.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple, Union

import math
import os
import sys
import time

from taskmon import _payload
from taskmon._channel import Channel, encode_property
from taskmon.errors import TaskError, UnpicklableResultError

__all__ = ["main", "SETUP_EXCEPTION_FILE"]

SETUP_EXCEPTION_FILE = "setup-exception.pickle"
ENVIRONMENT_PROPERTY = "Environment"
TRACE_LIMIT = 256 << 10
PROGRESS_INTERVAL = 0.1
USAGE = ("usage: python -m taskmon.host [--setup | --teardown] PAYLOAD | --environment ENVIRONMENT PAYLOAD"
         " | --serve (the scheduler's warm hosts)")


class _TaskContext:
    """What the host gives the task object: properties and progress, written to the channel."""

    def __init__(self, channel: Channel, environment: object = None):
        self.channel = channel
        self.environment = environment
        self.properties: Dict[str, Any] = {}
        self._pending_progress: Optional[Tuple[int, Any]] = None
        self._last_progress = 0.0

    def set_property(self, name: str, value: Any) -> None:
        """Sets a named property (str, int, float or bytes); it reaches the client even if the task fails."""
        record = encode_property(name, value)
        self.channel.append({"property": record})
        self.properties[name] = bytes(value) if isinstance(value, bytearray) else value

    def get_property(self, name: str, default: Any = None) -> Any:
        """A property this task set earlier in this run, or one the host gives
        (``TaskProperties``): ``"Environment"`` the task environment its host set up,
        ``"HostId"`` the host's pid, ``"JobId"``, ``"TaskId"`` (``JOB/INDEX``)."""
        if name in self.properties:
            return self.properties[name]
        if name == ENVIRONMENT_PROPERTY:
            return self.environment if self.environment is not None else default
        if name == "HostId":
            return str(os.getpid())
        if name == "JobId":
            return os.environ.get("TASKMON_JOB_ID", default)
        if name == "TaskId":
            job, task = os.environ.get("TASKMON_JOB_ID"), os.environ.get("TASKMON_TASK_ID")
            return "%s/%s" % (job, task) if job and task else default
        return default

    def set_progress(self, percent: float, info: Optional[Union[str, int, float]] = None) -> None:
        """Reports progress: an int, kept as given (the reference's "can range from 20 to 2500";
        a float is cut to an int), and optional information (a primitive value).

        Best effort: updates closer together than 0.1 s are coalesced, the last one is kept.
        """
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            raise TypeError("progress must be a number, not %s" % type(percent).__name__)
        if info is not None and not isinstance(info, (str, int, float)):
            raise TypeError("progress info must be a str, int or float, not %s" % type(info).__name__)
        if isinstance(info, float) and not math.isfinite(info):
            raise ValueError("progress info must be a finite number, not %r" % info)
        if isinstance(percent, float) and not math.isfinite(percent):
            raise ValueError("progress must be a finite number, not %r" % percent)
        if not -2 ** 31 <= int(percent) < 2 ** 31:
            raise ValueError("progress must fit in 32 bits (from -2147483648 to 2147483647), not %r" % percent)
        # Numbers travel as numbers (the client gives them back as int or float).
        self._pending_progress = (int(percent), info)
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_INTERVAL:
            self.flush_progress()

    def flush_progress(self) -> None:
        if self._pending_progress is not None:
            percent, info = self._pending_progress
            self._pending_progress = None
            self._last_progress = time.monotonic()
            self.channel.progress(percent, info)


def _attach(task: Any, context: _TaskContext) -> None:
    for name in ("set_property", "get_property", "set_progress"):
        try:
            setattr(task, name, getattr(context, name))
        except AttributeError as error:  # __slots__ without room for it
            raise TypeError(
                "the task object (%s) cannot be given %s(): %s" % (_payload.type_name(task), name, error)) from error


def _trace(error: BaseException) -> str:
    """The traceback as Python prints it, without the host's own frames on top."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    import traceback  # only a failing task needs it: not loaded before a host's first task
    text = "".join(traceback.format_exception(type(error), error, tb))
    if len(text) > TRACE_LIMIT:
        text = "\u2026\n" + text[-TRACE_LIMIT:]
    return text


def _picklable_exception(error: BaseException, trace: str) -> bytes:
    """The exception pickled, or a TaskError with its type and message when it does not round-trip."""
    try:
        return _payload.dump_value(error)
    except Exception:
        return _payload.dump_value(TaskError(_payload.type_name(error), str(error), trace))


def _report_failure(channel: Channel, error: BaseException, spill_path: str) -> None:
    """Traceback to stderr; the exception to the channel, as the exception and as the result."""
    trace = _trace(error)
    sys.stderr.write(trace)
    sys.stderr.flush()
    name = _payload.type_name(error)
    data = _picklable_exception(error, trace)
    encoding, text = _payload.encode_value(data, spill_path)
    channel.result(_payload.display_text(error), name, encoding, text)
    channel.exception(name, str(error), trace)


def _run_task(payload_path: str, environment: object = None) -> int:
    channel_path = os.environ.get("TASKMON_CHANNEL")
    if not channel_path:
        sys.stderr.write("taskmon.host: $TASKMON_CHANNEL is not set; the scheduler runs this, not people\n")
        return 2
    channel = Channel(channel_path)
    folder = os.path.dirname(os.path.abspath(payload_path.rpartition("#")[0] or payload_path))
    stem = "result-%s-%s" % (os.environ.get("TASKMON_TASK_ID", "x"), os.environ.get("TASKMON_ATTEMPT", "1"))
    spill_path = os.path.join(folder, stem + ".pickle")
    try:
        task = _payload.read_payload(payload_path)
        context = _TaskContext(channel, environment)
        _attach(task, context)
    except Exception as error:
        _report_failure(channel, error, spill_path)
        return 1
    try:
        task.execute()
    except SystemExit as stop:
        if stop.code not in (None, 0):
            _finish_output(context)
            _report_failure(channel, stop, spill_path)
            return 1
    except BaseException as error:
        _finish_output(context)
        _report_failure(channel, error, spill_path)
        return 1
    _finish_output(context)
    result = getattr(task, "result", None)
    try:
        data = _payload.dump_value(result)
    except Exception as error:
        failure = UnpicklableResultError(
            "the task's result (%s) cannot be pickled: %s: %s" % (_payload.type_name(result), type(error).__name__, error))
        failure.__cause__ = error
        _report_failure(channel, failure, spill_path)
        return 1
    encoding, text = _payload.encode_value(data, spill_path)
    channel.result(_payload.display_text(result), _payload.type_name(result), encoding, text)
    return 0


def _finish_output(context: _TaskContext) -> None:
    context.flush_progress()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _run_environment(payload_path: str, phase: str) -> int:
    exception_path = os.path.join(os.path.dirname(os.path.abspath(payload_path)), SETUP_EXCEPTION_FILE)
    if phase == "setup":
        try:
            os.unlink(exception_path)
        except FileNotFoundError:
            pass
    try:
        environment = _payload.read_payload(payload_path)
        getattr(environment, phase)()
    except BaseException as error:
        if isinstance(error, SystemExit) and error.code in (None, 0):
            return 0
        trace = _trace(error)
        sys.stderr.write(trace)
        sys.stderr.flush()
        if phase == "setup":
            _payload.write_atomically(exception_path, _picklable_exception(error, trace))
        return 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    return 0


def _line_buffered_streams() -> None:
    """Line by line: as it happens, so that the monitor can follow a task's output while it
    runs, and one whole line a write, so that the lines of hosts setting up at once (their
    setup output is one file, opened O_APPEND) never mix. Not write-through even under
    PYTHONUNBUFFERED, which made print() write each of its pieces on its own."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(line_buffering=True, write_through=False)  # type: ignore[union-attr]
        except (AttributeError, ValueError):
            pass


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point of ``python -m taskmon.host``; returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    _line_buffered_streams()
    if len(args) == 2 and args[0] in ("--setup", "--teardown"):
        return _run_environment(args[1], args[0][2:])
    if len(args) == 1 and not args[0].startswith("-"):
        return _run_task(args[0])
    if args == ["--serve"]:
        from taskmon._hostserver import serve
        return serve()
    if len(args) == 3 and args[0] == "--environment":
        from taskmon._hostserver import run_once
        return run_once(args[1], args[2])
    sys.stderr.write(USAGE + "\n")
    return 2


if __name__ == "__main__":
    sys.exit(main())
