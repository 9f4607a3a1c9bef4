"""A submitted task as the client sees it: status, result, outputs, properties."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

import collections
import os
import threading

from taskmon import _compat, _payload
from taskmon.errors import ResultLoadError, TaskError
from taskmon.host import SETUP_EXCEPTION_FILE
from taskmon.status import FINAL_STATUSES, TaskCancellationReason, TaskStatus

if TYPE_CHECKING:
    from taskmon._attempts import AttemptSummary, TaskAttempt

class TaskProgress(NamedTuple):
    """A task's progress: the int it reported (a percentage by convention; any value, as in the reference) and optional information."""

    percent: int
    info: Optional[str]


class TaskExceptionInfo(NamedTuple):
    """The exception a task ended with, as the scheduler keeps it: type name, message, stack trace."""

    type: str
    message: str
    trace: str

OUTPUT_CAP = 1 << 20
READ_CHUNK = 4 << 20
_UNSET = object()


def _task_name(obj: Any) -> str:
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name.strip():
        return name
    return type(obj).__name__


class Task:
    """One task of a job, as the scheduler knows it: ``job.tasks[i]``.

    Reading an attribute of an unfinished task asks the scheduler; a final task's values are
    kept. Attributes the task object itself has (``job.tasks[0].frame``, say) are read from
    the object that was added.
    """

    def __init__(self, job: Any, index: int, obj: Any = None) -> None:
        self.job = job
        self.id = index
        self._obj = obj
        self._name = _task_name(obj) if obj is not None else None
        self._info: Optional[Dict[str, Any]] = None
        self._final = False
        self._result = _UNSET
        self._outputs: Dict[str, str] = {}
        self._progress: Optional[TaskProgress] = None
        self._resources: Optional[Dict[str, int]] = None
        #: An earlier attempt this stands for (:class:`~taskmon._attempts.TaskAttempt`); None: the task's current one.
        self._attempt: Optional[int] = None
        self._lock = threading.RLock()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        obj = self.__dict__.get("_obj")
        if obj is None:
            raise AttributeError("%r has no attribute %r" % (self, name))
        return getattr(obj, name)

    def __repr__(self) -> str:
        info = self.__dict__.get("_info")
        status = info.get("task_status") if info else ("NOT_SUBMITTED" if self.job.id is None else "?")
        return "<Task %s/%d %r %s>" % (self.job.id if self.job.id is not None else "-", self.id, self.name, status)

    # -- snapshots ------------------------------------------------------------------------------

    def _store(self, info: Dict[str, Any]) -> None:
        with self._lock:
            old = self._info
            if old is None or old.get("attempts") != info.get("attempts") or old.get("task_status") != info.get("task_status"):
                self._result = _UNSET
                self._outputs = {}
            self._info = info
            self._final = self._final_info(info)

    def _final_info(self, info: Dict[str, Any]) -> bool:
        if self._attempt is not None:
            return True  # an earlier attempt, as it was kept: it never changes
        status = TaskStatus.parse(info.get("task_status", "NOT_SUBMITTED"))
        if status in FINAL_STATUSES:
            return True
        if status == TaskStatus.INTERRUPTED:
            limit = self.job.max_interrupted_retries
            return limit is not None and info.get("interrupted_retry_attempts", 0) >= limit
        return False

    def _invalidate(self, forget: bool = False) -> None:
        with self._lock:
            self._final = False
            if forget:
                self._info = None
                self._result = _UNSET
                self._outputs = {}

    def _snapshot(self) -> Optional[Dict[str, Any]]:
        if self.job.id is None:
            return None
        with self._lock:
            if self._info is not None and self._final:
                return self._info
        info: Dict[str, Any] = self.job._scheduler._call("get_task", self._query(output_cap=0))
        self._store(info)
        return info

    def _query(self, **params: Any) -> Dict[str, Any]:
        """The parameters naming this task (and its attempt, for an earlier one) in a request."""
        query: Dict[str, Any] = {"job_id": self.job.id, "task_id": self.id}
        if self._attempt is not None:
            query["attempt"] = self._attempt
        query.update(params)
        return query

    def _is_final(self, fetch: bool = True) -> bool:
        if fetch:
            self._snapshot()
        with self._lock:
            return self._info is not None and self._final

    # -- what the task returned -----------------------------------------------------------------

    @property
    def name(self) -> Optional[str]:
        """The task's name: the object's ``name`` attribute if it is a str, else its class name."""
        if self._name is not None:
            return self._name
        info = self._info or (self._snapshot() if self.job.id is not None else None)
        return info.get("name") if info else None

    @property
    def task_status(self) -> TaskStatus:
        """The :class:`TaskStatus`; NOT_SUBMITTED before the job is submitted."""
        info = self._snapshot()
        return TaskStatus.NOT_SUBMITTED if info is None else TaskStatus.parse(info["task_status"])

    @property
    def result(self) -> Any:
        """What the task set as ``self.result`` (a copy), once COMPLETED.

        When the task failed, the exception it raised (a :class:`~taskmon.errors.TaskError` with its
        type name and message when it could not be pickled); ENVIRONMENT_ERROR: the exception its
        environment's setup raised; TIMED_OUT or a host that died: a TaskError saying so;
        None while it runs, or when canceled.

        :raises ResultLoadError: a completed task's result cannot be unpickled here.
        """
        info = self._snapshot()
        if info is None:
            return None
        with self._lock:
            if self._result is not _UNSET and self._info is info:
                return self._result
        value = self._decode_result(info)
        with self._lock:
            if self._info is info:
                self._result = value
        return value

    @property
    def standard_output(self) -> str:
        """Everything the task printed to stdout, as text ("" if nothing)."""
        return self._output("stdout")

    @property
    def standard_error(self) -> str:
        """Everything the task wrote to stderr, as text; holds the traceback of an uncaught exception.
        For ENVIRONMENT_ERROR, what the environment's setup wrote."""
        return self._output("stderr")

    @property
    def properties(self) -> Dict[str, Any]:
        """The properties the task set: name -> str, int, float or bytes. Kept even when it failed."""
        info = self._snapshot()
        if info is None:
            return {}
        values: Dict[str, Any] = {}
        for name, entry in (info.get("properties") or {}).items():
            kind, value = entry.get("type"), entry.get("value")
            if kind == "int":
                values[name] = _compat.PropertyInt(value)
            elif kind == "float":
                values[name] = _compat.PropertyFloat(value)
            elif kind == "bytes":
                import base64
                values[name] = base64.b64decode(value)
            else:
                values[name] = value
        return values

    @property
    def task_cancellation_message(self) -> Optional[str]:
        """Who canceled the task and why (``Canceled by alice: wrong input``), or None."""
        info = self._snapshot()
        return None if info is None else info.get("task_cancellation_message")

    @property
    def task_cancellation_reason(self) -> TaskCancellationReason:
        """NONE, DIRECT (a user canceled it or its job) or CONSEQUENTIAL (another task failed)."""
        info = self._snapshot()
        if info is None:
            return TaskCancellationReason.NONE
        return TaskCancellationReason.parse(info.get("task_cancellation_reason") or "NONE")

    @property
    def progress(self) -> Optional[TaskProgress]:
        """The last :class:`TaskProgress` the task reported, or None."""
        info = self._snapshot()
        raw = info.get("progress") if info else None
        if raw:
            return TaskProgress(int(raw.get("percent", 0)), raw.get("info"))
        return self._progress

    @property
    def exception(self) -> Optional[TaskExceptionInfo]:
        """The exception the task ended with, as a :class:`TaskExceptionInfo` (type name, message,
        trace), or None. Also for failures without a Python exception (``TimeoutError``, ``ExitStatus``)."""
        info = self._snapshot()
        raw = info.get("exception") if info else None
        if not raw:
            return None
        return TaskExceptionInfo(raw.get("type", ""), raw.get("message", ""), raw.get("trace", ""))

    @property
    def attempts(self) -> int:
        info = self._snapshot()
        return 0 if info is None else int(info.get("attempts", 0))

    @property
    def interrupted_retry_attempts(self) -> int:
        info = self._snapshot()
        return 0 if info is None else int(info.get("interrupted_retry_attempts", 0))

    @property
    def pid(self) -> Optional[int]:
        """The host process's id, once it started (None before)."""
        info = self._snapshot()
        return None if info is None else info.get("pid")

    @property
    def host(self) -> Optional[str]:
        """Where the task ran: ``host pid 4242 (warm, task 7 of it)`` for a Python task, else None."""
        info = self._snapshot()
        return None if info is None else info.get("host")

    @property
    def exit_code(self) -> Optional[int]:
        """The host process's exit status, once it exited (None if it was killed by a signal)."""
        info = self._snapshot()
        return None if info is None else info.get("exit_code")

    @property
    def warnings(self) -> List[str]:
        """Problems the scheduler found in what the task reported (a malformed channel line, say)."""
        info = self._snapshot()
        return [] if info is None else list(info.get("warnings") or [])

    # -- attempts and retries (taskmon's own; the reference has neither) ------------------------

    @property
    def attempt_history(self) -> List["AttemptSummary"]:
        """The earlier attempts the scheduler keeps of this task (the last 10), oldest first, each an
        :class:`~taskmon.client.AttemptSummary`; ``[]`` for a task that ran once. :meth:`attempt`
        reads one of them whole."""
        from taskmon._attempts import AttemptSummary
        info = self._snapshot()
        return [AttemptSummary.parse(entry) for entry in (info or {}).get("attempt_history") or []]

    def attempt(self, number: int) -> "TaskAttempt":
        """An earlier attempt of this task (1 is the first), as it ended: a
        :class:`~taskmon.client.TaskAttempt` with the same attributes as the task (``task_status``,
        ``result``, ``standard_output``, ``standard_error``, ``properties``, ``exception``, ...), like
        ``taskmon show/output JOB/TASK --attempt N``.

        :raises TypeError, ValueError: ``number`` is not a whole number from 1.
        :raises SchedulerError: the task has no such attempt kept, or it is the current one (read
            the task itself); the message says which.
        """
        from taskmon._attempts import TaskAttempt
        self.job._require_submitted()
        return TaskAttempt(self, number)

    def retry(self) -> None:
        """Queues this finished task again, as a new attempt (``taskmon retry JOB/TASK``): the
        attempt that ended stays readable with :meth:`attempt`, and :meth:`Job.wait_until_done`
        waits for the new one.

        :raises SchedulerError: the task is not finished (``code`` ``SchedulerError.ILLEGAL_STATE``), or
            there is no such task (``NOT_FOUND``).
        """
        from taskmon import _retry
        self.job._require_submitted()
        _retry.run(self.job._scheduler, "retry", {"job_id": self.job.id, "task_id": self.id}, [self.job])

    def cancel(self, message: Optional[str] = None) -> int:
        """Cancels this task (reason DIRECT). Returns 1 if the cancel reached it, else 0."""
        self.job._require_submitted()
        answer = self.job._scheduler._call("cancel", {"job_id": self.job.id, "task_id": self.id, "message": message})
        return int(answer.get("canceled", 0))

    # -- decoding -------------------------------------------------------------------------------

    def _decode_result(self, info: Dict[str, Any]) -> Any:
        status = TaskStatus.parse(info["task_status"])
        if status == TaskStatus.ENVIRONMENT_ERROR:
            error = self._setup_exception(info)
            if error is not None:
                return _compat.joinable_exception(error)
        record = info.get("result")
        if record:
            try:
                value = _payload.decode_value(record.get("encoding", "text"), record.get("data"))
            except Exception as error:
                if status == TaskStatus.COMPLETED or not info.get("exception"):
                    raise ResultLoadError("the result of task %s/%d (%s) cannot be unpickled here: %s: %s"
                                          % (self.job.id, self.id, record.get("type"), type(error).__name__, error)) from error
            else:
                return _compat.joinable_exception(value) if isinstance(value, BaseException) else value
        raw = info.get("exception")
        if raw and status != TaskStatus.COMPLETED:
            return _compat.joinable_exception(TaskError(raw.get("type", ""), raw.get("message", ""), raw.get("trace", "")))
        return None

    @staticmethod
    def _setup_exception(info: Dict[str, Any]) -> Any:
        """The exception the job's environment setup raised, kept beside the task payloads."""
        command = info.get("command") or []
        payload = command[-1].rpartition("#")[0] or command[-1] if command else ""
        if "taskmon.host" not in command or not payload.endswith(".pickle"):
            return None
        path = os.path.join(os.path.dirname(payload), SETUP_EXCEPTION_FILE)
        try:
            return _payload.decode_value("pickle-file", path)
        except Exception:
            return None

    def _output(self, stream: str) -> str:
        if self.job.id is None:
            return ""
        info = self._snapshot()
        with self._lock:
            if self._final and stream in self._outputs:
                return self._outputs[stream]
        spooled = self._read_spool(info)
        if spooled is not None:
            with self._lock:
                if self._final:
                    self._outputs.update(spooled)
            return spooled[stream]
        answer = self.job._scheduler._call("get_task", self._query(output_cap=OUTPUT_CAP))
        texts: Dict[str, str] = {}
        for name, key in (("stdout", "standard_output"), ("stderr", "standard_error")):
            # Both streams come in one answer: keep both, so reading the other costs nothing.
            texts[name] = self._read_whole(name) if answer.get(key + "_truncated") else (answer.get(key) or "")
            answer.pop(key, None)
        self._store(answer)
        with self._lock:
            if self._final:
                self._outputs.update(texts)
        return texts[stream]

    def _read_spool(self, info: Optional[Dict[str, Any]]) -> Optional[Dict[str, str]]:
        """A finished warm-host task's output, read from its spool files in the scheduler's state
        dir (``output/JOB/TASK.stdout``; no file: nothing printed) instead of one request each:
        the host wrote and closed them before it reported the task done. None when that does
        not apply (another kind of task, an environment error's setup output, a file it cannot
        read), and the scheduler is asked."""
        if info is None or not self._final or not info.get("host") or self._attempt is not None:
            return None
        if TaskStatus.parse(info.get("task_status", "")) == TaskStatus.ENVIRONMENT_ERROR:
            return None
        folder = os.path.join(self.job._scheduler.state_dir, "output", str(self.job.id))
        texts: Dict[str, str] = {}
        for stream in ("stdout", "stderr"):
            try:
                fd = os.open(os.path.join(folder, "%d.%s" % (self.id, stream)), os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                texts[stream] = ""
                continue
            except OSError:
                return None
            try:
                with os.fdopen(fd, "rb") as f:
                    texts[stream] = f.read().decode("utf-8", errors="replace")
            except OSError:
                return None
        return texts

    def _read_whole(self, stream: str) -> str:
        import base64
        chunks: List[bytes] = []
        offset = 0
        while True:
            chunk = self.job._scheduler._call("read_output", self._query(stream=stream, offset=offset, length=READ_CHUNK))
            data = base64.b64decode(chunk.get("data") or "")
            chunks.append(data)
            offset += len(data)
            if not data or offset >= int(chunk.get("size", 0)):
                break
        return b"".join(chunks).decode("utf-8", errors="replace")
