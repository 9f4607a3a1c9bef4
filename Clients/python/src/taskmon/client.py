"""The Python client: submit plain Python task objects to a taskmon scheduler and read back
what they returned, with the reference scheduler's names.

::

    from taskmon.client import JobScheduler

    class OurTask:
        def execute(self):
            self.result = "Hello from task"

    with JobScheduler() as client:
        client.connect()
        job = client.create_job(name="render")
        job.add_task(OurTask())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].task_status, job.tasks[0].result)

Each task object is pickled with cloudpickle and run by ``python -m taskmon.host`` as a
command task of the scheduler; see :mod:`taskmon.host` for what happens there.
"""

from __future__ import annotations

import collections
import datetime
import os
import site
import sys
import threading
import time

from taskmon import _compat, _payload
from taskmon._events import EventHook, EventListener, HookAttribute
from taskmon._jobfiles import DEFAULT_RETENTION, JobFiles
from taskmon._protocol import Connection
from taskmon._statedir import announce, find_taskmon, resolve_state_dir, socket_path_of, start_scheduler
from taskmon.errors import (
    ResultLoadError, SchedulerConnectionError, SchedulerNotRunningError, TaskError, TaskmonError,
)
from taskmon.host import SETUP_EXCEPTION_FILE
from taskmon.status import FINAL_STATUSES, JobPriority, TaskCancellationReason, TaskStatus

__all__ = ["JobScheduler", "Job", "Task", "TaskProgress", "TaskExceptionInfo", "EventHook"]

TaskProgress = collections.namedtuple("TaskProgress", "percent info")
TaskProgress.__doc__ = "A task's progress: an integer percentage (0-100) and optional information (a str, or None)."

TaskExceptionInfo = collections.namedtuple("TaskExceptionInfo", "type message trace")
TaskExceptionInfo.__doc__ = "The exception a task ended with, as the scheduler keeps it: type name, message, stack trace."

DEFAULT_TIMEOUT = 120.0
OUTPUT_CAP = 1 << 20
READ_CHUNK = 4 << 20
TASK_PAGE = 20000
_UNSET = object()


def _positive_seconds(value, what):
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number of seconds or a timedelta, not %s" % (what, type(value).__name__))
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError("%s must be a positive number of seconds, not %r" % (what, value))
    return float(value)


def _optional_str(value, what):
    if value is not None and not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
    return value


def _site_folders():
    folders = set()
    try:
        folders.update(site.getsitepackages())
    except AttributeError:  # old virtualenvs
        pass
    try:
        folders.add(site.getusersitepackages())
    except AttributeError:
        pass
    return {os.path.realpath(f) for f in folders}


def _is_interpreter_folder(folder, sites):
    real = os.path.realpath(folder)
    if real in sites:
        return True
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(real == p or real.startswith(p + os.sep) for p in prefixes)


def _user_sys_path():
    """The client's ``sys.path`` entries that are the user's own folders (the script's, a project's),
    not the interpreter's: the host adds them, so that modules beside the script import there too."""
    sites = _site_folders()
    folders = []
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        if os.path.isdir(folder) and not _is_interpreter_folder(folder, sites) and folder not in folders:
            folders.append(folder)
    return folders


def _host_pythonpath():
    """``PYTHONPATH`` for the host: where taskmon and cloudpickle were found, unless installed in
    the interpreter's site folders, then the client's own ``PYTHONPATH``."""
    import cloudpickle
    sites = _site_folders()
    folders = []
    for module in (sys.modules["taskmon"], cloudpickle):
        folder = os.path.dirname(os.path.dirname(os.path.abspath(module.__file__)))
        if not _is_interpreter_folder(folder, sites) and folder not in folders:
            folders.append(folder)
    inherited = os.environ.get("PYTHONPATH")
    if inherited:
        folders.extend(p for p in inherited.split(os.pathsep) if p and p not in folders)
    return os.pathsep.join(folders)


def _task_name(obj):
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name.strip():
        return name
    return type(obj).__name__


class JobScheduler:
    """A connection to a taskmon scheduler: creates jobs, submits them, follows them.

    :param state_dir: the scheduler's state dir; default as the CLI: ``$TASKMON_STATE_DIR``,
        else ``$XDG_STATE_HOME/taskmon``, else ``~/.local/state/taskmon``.
    :param socket: the scheduler's socket, when not ``STATE_DIR/scheduler.sock``.
    :param start_scheduler: when no scheduler runs on the state dir, :meth:`connect` starts one
        in the background (``taskmon serve``, found through ``$TASKMON_BIN`` or ``PATH``) and
        says so on stderr, as ``taskmon submit`` does. With False, it raises
        :class:`~taskmon.errors.SchedulerNotRunningError` instead.
    :param timeout: seconds to wait for each answer of the scheduler (None: for ever).
    :param payload_retention: seconds the pickled tasks of a finished job are kept (so that its
        tasks can be retried from the monitor); older ones are removed at :meth:`connect`.

    Use it as a context manager, or call :meth:`disconnect` when done.
    """

    def __init__(self, state_dir=None, socket=None, start_scheduler=True, timeout=DEFAULT_TIMEOUT,
                 payload_retention=DEFAULT_RETENTION, client_name="taskmon-python"):
        self.state_dir = resolve_state_dir(state_dir)
        self.socket_path = os.fspath(socket) if socket else socket_path_of(self.state_dir)
        self._explicit_socket = bool(socket)
        self.start_scheduler = start_scheduler
        self.timeout = timeout
        self.payload_retention = payload_retention
        self.client_name = client_name
        self.scheduler_pid = None
        self._connection = None
        self._listener = None
        self._files = None
        self._lock = threading.RLock()

    # -- connection ---------------------------------------------------------------------------

    def connect(self) -> "JobScheduler":
        """Connects to the scheduler (starting one if allowed, see the class docs); returns self.

        :raises SchedulerNotRunningError: no scheduler runs there, with what to do about it.
        """
        with self._lock:
            if self._connection is not None:
                return self
            try:
                connection = Connection(self.socket_path, self.client_name, self.timeout)
            except SchedulerNotRunningError as error:
                connection = self._start_scheduler(error)
            self._connection = connection
            self.scheduler_pid = connection.hello.get("scheduler_pid")
            self.state_dir = connection.hello.get("state_dir") or self.state_dir
            self._files = JobFiles(self.state_dir)
            try:
                self._files.collect(connection, self.payload_retention)
            except (OSError, TaskmonError):
                pass
            return self

    def _start_scheduler(self, error):
        if not self.start_scheduler or self._explicit_socket:
            raise error
        binary = find_taskmon()
        if binary is None:
            raise SchedulerNotRunningError(
                "%s; no taskmon executable was found ($TASKMON_BIN, PATH) to start one" % error) from None
        pid = start_scheduler(binary, self.state_dir)
        announce("started a scheduler in the background (pid %d, state dir %s, log %s)"
                 % (pid, self.state_dir, os.path.join(self.state_dir, "scheduler.log")))
        return Connection(self.socket_path, self.client_name, self.timeout)

    def disconnect(self) -> None:
        """Stops following events and closes the connection. Jobs go on running in the scheduler."""
        with self._lock:
            listener, self._listener = self._listener, None
            connection, self._connection = self._connection, None
        if listener is not None:
            listener.stop()
        if connection is not None:
            connection.close()

    close = disconnect

    def is_connected(self) -> bool:
        return self._connection is not None

    def __enter__(self) -> "JobScheduler":
        return self

    def __exit__(self, *exc_info) -> None:
        self.disconnect()

    def _call(self, method, params=None):
        if self._connection is None:
            self.connect()
        return self._connection.call(method, params)

    def _events(self) -> EventListener:
        with self._lock:
            if self._connection is None:
                self.connect()
            if self._listener is None or not self._listener.alive:
                if self._listener is not None:
                    self._listener.stop()
                self._listener = EventListener(self.socket_path, self.client_name, self.timeout)
            return self._listener

    # -- jobs -----------------------------------------------------------------------------------

    def create_job(self, name=None, description=None, priority=JobPriority.NORMAL, task_timeout=None,
                   max_interrupted_retries=None, cancel_on_task_failure=False, task_environment=None,
                   interpreter=None) -> "Job":
        """A new job to add tasks to and submit.

        :param name: shown in the monitor; the scheduler names it ``Job N`` when None.
        :param description: shown in the monitor.
        :param priority: a :class:`~taskmon.status.JobPriority`, its name or its value.
        :param task_timeout: execution time limit per task, in seconds (or a timedelta); None: none.
        :param max_interrupted_retries: how often an INTERRUPTED task is queued again (None: the
            scheduler's default, 3).
        :param cancel_on_task_failure: the first FAILED task cancels the job's other unfinished
            tasks (reason CONSEQUENTIAL).
        :param task_environment: an object with ``setup()`` and/or ``teardown()``, run once per job
            before its first task and after its last, each in a process of its own. When setup
            raises, every task is ENVIRONMENT_ERROR and its result is that exception.
        :param interpreter: the Python that runs the tasks (default: this one, ``sys.executable``).
            It needs taskmon and cloudpickle, and the same Python version for classes defined in
            your script.
        """
        return Job(self, name=_optional_str(name, "name"), description=_optional_str(description, "description"),
                   priority=JobPriority.parse(priority), task_timeout=_positive_seconds(task_timeout, "task_timeout"),
                   max_interrupted_retries=max_interrupted_retries, cancel_on_task_failure=cancel_on_task_failure,
                   task_environment=task_environment, interpreter=interpreter)

    def get_job(self, job_id: int) -> "Job":
        """A job already submitted (by this or another client): its tasks, status and events.

        :raises SchedulerError: the scheduler has no such job.
        """
        info = self._call("get_job", {"job_id": int(job_id), "include_tasks": False})
        job = Job(self, name=info.get("name"), description=info.get("description"),
                  priority=JobPriority.parse(info.get("priority", "normal")), task_timeout=info.get("task_timeout"),
                  max_interrupted_retries=info.get("max_interrupted_retries"),
                  cancel_on_task_failure=bool(info.get("cancel_on_task_failure")), task_environment=None,
                  interpreter=None)
        job.id = int(info["id"])
        job.tasks = [Task(job, index) for index in range(int(info.get("task_count", 0)))]
        return job

    def cancel_job(self, job_id: int, message=None) -> int:
        """Cancels every unfinished task of a job; returns how many the cancel reached."""
        return int(self._call("cancel", {"job_id": int(job_id), "message": message}).get("canceled", 0))


class Job:
    """A set of tasks submitted together. Made by :meth:`JobScheduler.create_job`.

    Events, delivered on the client's event thread (one per JobScheduler) in the scheduler's
    order; each is an :class:`EventHook` (``job.task_completed += handler``):

    - ``task_completed(task)``: a task reached a final status (its result is ready);
    - ``task_progress_updated(task, progress)``: a running task reported a :class:`TaskProgress`;
    - ``task_state_changed(task, previous, status)``: a task moved between two :class:`TaskStatus`;
    - ``job_completed(job)``: every task is final; :meth:`wait_until_done` returns after it.
    """

    task_completed = HookAttribute()
    task_progress_updated = HookAttribute()
    task_state_changed = HookAttribute()
    job_completed = HookAttribute()

    def __init__(self, scheduler, name, description, priority, task_timeout, max_interrupted_retries,
                 cancel_on_task_failure, task_environment, interpreter):
        if max_interrupted_retries is not None:
            if isinstance(max_interrupted_retries, bool) or not isinstance(max_interrupted_retries, int):
                raise TypeError("max_interrupted_retries must be an int")
            if not 0 <= max_interrupted_retries <= 1000:
                raise ValueError("max_interrupted_retries must be from 0 to 1000, not %d" % max_interrupted_retries)
        if not isinstance(cancel_on_task_failure, bool):
            raise TypeError("cancel_on_task_failure must be True or False")
        if task_environment is not None and not any(
                callable(getattr(task_environment, phase, None)) for phase in ("setup", "teardown")):
            raise TypeError("a task environment needs a setup() or teardown() method; %s has neither"
                            % type(task_environment).__name__)
        self._scheduler = scheduler
        self.id = None
        self.name = name
        self.description = description
        self.priority = priority
        self.task_timeout = task_timeout
        self.max_interrupted_retries = max_interrupted_retries
        self.cancel_on_task_failure = cancel_on_task_failure
        self.task_environment = task_environment
        self.interpreter = _optional_str(interpreter, "interpreter") or sys.executable
        self.tasks = []
        self._folder = None
        self._listener = None
        self._lock = threading.RLock()
        self._reported = set()
        self._finishing = False
        self._finish_error = None
        self._done = threading.Event()
        self._wakeup = threading.Event()

    def __repr__(self) -> str:
        return "<Job %s %r, %d task(s)>" % (self.id if self.id is not None else "(not submitted)", self.name, len(self.tasks))

    # -- building and submitting ----------------------------------------------------------------

    def add_task(self, task) -> "Task":
        """Adds a task object: any picklable object with an ``execute()`` method. Returns its
        :class:`Task`, which is also ``job.tasks[i]``."""
        if self.id is not None:
            raise RuntimeError("job %d is already submitted; tasks cannot be added to it" % self.id)
        if not callable(getattr(task, "execute", None)):
            raise TypeError("a task needs an execute() method; %s has none" % type(task).__name__)
        proxy = Task(self, len(self.tasks), task)
        self.tasks.append(proxy)
        return proxy

    def submit(self) -> int:
        """Pickles the tasks and queues the job; returns its id.

        :raises TypeError: a task (or the environment) cannot be pickled.
        :raises SchedulerError: the scheduler refused the job.
        """
        if self.id is not None:
            raise RuntimeError("job %d is already submitted" % self.id)
        if not self.tasks:
            raise ValueError("a job needs at least one task; add one with add_task()")
        scheduler = self._scheduler
        listener = scheduler._events()
        folder = scheduler._files.new_folder()
        try:
            spec = self._spec(folder)
            with listener.registration:
                answer = scheduler._call("submit", {"spec": spec})
                self.id = int(answer["job_id"])
                self._listener = listener
                listener.watch(self)
        except BaseException:
            JobFiles.remove(folder)
            raise
        self._folder = folder
        JobFiles.mark_submitted(folder, self.id)
        info = scheduler._call("get_job", {"job_id": self.id, "include_tasks": False})
        self.name = info.get("name", self.name)
        self.max_interrupted_retries = info.get("max_interrupted_retries", self.max_interrupted_retries)
        return self.id

    def _spec(self, folder):
        user_path = _user_sys_path()
        host = [self.interpreter, "-m", "taskmon.host"]
        tasks = []
        for task in self.tasks:
            path = os.path.join(folder, "task-%d.pickle" % task.id)
            try:
                _payload.write_payload(path, task._obj, user_path)
            except Exception as error:
                raise TypeError("task %d (%s) cannot be pickled to send it to its host: %s: %s"
                                % (task.id, type(task._obj).__name__, type(error).__name__, error)) from error
            tasks.append({"name": task._name, "command": host + [path]})
        environment = {"cwd": os.getcwd()}
        pythonpath = _host_pythonpath()
        if pythonpath:
            environment["env"] = {"PYTHONPATH": pythonpath}
        if self.task_environment is not None:
            path = os.path.join(folder, "environment.pickle")
            try:
                _payload.write_payload(path, self.task_environment, user_path)
            except Exception as error:
                raise TypeError("the task environment (%s) cannot be pickled: %s: %s"
                                % (type(self.task_environment).__name__, type(error).__name__, error)) from error
            for phase in ("setup", "teardown"):
                if callable(getattr(self.task_environment, phase, None)):
                    environment[phase] = host + ["--" + phase, path]
        spec = {"priority": self.priority.name.lower(), "cancel_on_task_failure": self.cancel_on_task_failure,
                "environment": environment, "tasks": tasks}
        for key, value in (("name", self.name), ("description", self.description),
                           ("task_timeout", self.task_timeout), ("max_interrupted_retries", self.max_interrupted_retries)):
            if value is not None:
                spec[key] = value
        return spec

    # -- following ------------------------------------------------------------------------------

    def wait_until_done(self, timeout=None) -> bool:
        """Blocks until every task is final; True then, False if ``timeout`` seconds passed first.

        Returns after the ``task_completed`` and ``job_completed`` handlers ran.

        :raises SchedulerConnectionError: the scheduler went away, or the client was disconnected,
            meanwhile. (A job whose client was disconnected and connected again before the wait
            is simply followed anew.)
        """
        self._require_submitted()
        if isinstance(timeout, datetime.timedelta):
            timeout = timeout.total_seconds()
        deadline = None if timeout is None else time.monotonic() + max(0.0, float(timeout))
        if not self._done.is_set():
            listener = self._listener
            if listener is not None and not listener.alive:
                listener = None  # it stopped (a disconnect) before this wait: follow the job anew
            if listener is None:
                # A job read back with get_job() (or no longer followed): follow it from now on,
                # then look whether it is already done (a completion between the two is seen either way).
                listener = self._scheduler._events()
                with listener.registration:
                    listener.watch(self)
                    self._listener = listener
                info = self._scheduler._call("get_job", {"job_id": self.id, "include_tasks": False})
                if info.get("finished_at"):
                    self._finish()
            if threading.current_thread() is listener.thread and not self._done.is_set():
                raise RuntimeError("wait_until_done() cannot wait inside an event handler: the handler runs on "
                                   "the thread that delivers the job's completion")
            while not self._done.is_set():
                if listener.error is not None:
                    raise SchedulerConnectionError(
                        "stopped following job %d: %s" % (self.id, listener.error)) from listener.error
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wakeup.wait(0.5 if left is None else min(0.5, left))
                self._wakeup.clear()
        if self._finish_error is not None:
            raise self._finish_error
        return True

    def cancel(self, message=None) -> int:
        """Cancels every unfinished task (reason DIRECT; the message says who and why).
        Returns how many tasks the cancel reached."""
        self._require_submitted()
        return int(self._scheduler._call("cancel", {"job_id": self.id, "message": message}).get("canceled", 0))

    def refresh(self) -> None:
        """Forgets what is cached about the tasks (after a retry from the monitor, say)."""
        for task in self.tasks:
            task._invalidate(forget=True)

    @property
    def is_done(self) -> bool:
        """True once every task is final (asks the scheduler unless already known)."""
        if self._done.is_set():
            return True
        self._require_submitted()
        return bool(self._scheduler._call("get_job", {"job_id": self.id, "include_tasks": False}).get("finished_at"))

    def _require_submitted(self):
        if self.id is None:
            raise RuntimeError("the job is not submitted yet; call submit() first")

    # -- events (called on the event thread) ----------------------------------------------------

    def _wake(self):
        self._wakeup.set()

    def _task(self, index):
        if isinstance(index, int) and 0 <= index < len(self.tasks):
            return self.tasks[index]
        return None

    def _on_status_changed(self, data):
        task = self._task(data.get("task_id"))
        if task is None:
            return
        task._invalidate()
        status = TaskStatus.parse(data["status"])
        if len(self.task_state_changed):
            self.task_state_changed(task, TaskStatus.parse(data["previous"]), status)
        if status in FINAL_STATUSES or (status == TaskStatus.INTERRUPTED and task._is_final()):
            self._report_completed(task, data.get("attempts"))

    def _on_progress(self, data):
        task = self._task(data.get("task_id"))
        if task is None:
            return
        raw = data.get("progress") or {}
        progress = TaskProgress(int(raw.get("percent", 0)), raw.get("info"))
        task._progress = progress
        self.task_progress_updated(task, progress)

    def _report_completed(self, task, attempts):
        with self._lock:
            key = (task.id, attempts)
            if key in self._reported:
                return
            self._reported.add(key)
        self.task_completed(task)

    def _fetch_all(self):
        """Every task's snapshot, a page at a time; returns the job's info."""
        offset = 0
        while True:
            info = self._scheduler._call("get_job", {"job_id": self.id, "include_tasks": True,
                                                     "task_offset": offset, "task_limit": TASK_PAGE})
            page = info.get("tasks") or []
            for entry in page:
                task = self._task(entry.get("id"))
                if task is not None:
                    task._store(entry)
            offset += len(page)
            if not page or offset >= int(info.get("task_count", 0)):
                return info

    def _catch_up(self):
        """After missing events: report what finished meanwhile, and the job if it is done."""
        info = self._fetch_all()
        for task in self.tasks:
            if task._is_final(fetch=False):
                self._report_completed(task, task._info.get("attempts"))
        if info.get("finished_at"):
            self._finish()

    def _finish(self):
        with self._lock:
            if self._finishing:
                return
            self._finishing = True
        try:
            self._fetch_all()
            for task in self.tasks:
                if task._is_final(fetch=False):
                    self._report_completed(task, task._info.get("attempts"))
            self.job_completed(self)
        except TaskmonError as error:
            self._finish_error = error
        finally:
            self._done.set()
            self._wakeup.set()
            if self._listener is not None:
                self._listener.unwatch(self)


class Task:
    """One task of a job, as the scheduler knows it: ``job.tasks[i]``.

    Reading an attribute of an unfinished task asks the scheduler; a final task's values are
    kept. Attributes the task object itself has (``job.tasks[0].frame``, say) are read from
    the object that was added.
    """

    def __init__(self, job, index, obj=None):
        self.job = job
        self.id = index
        self._obj = obj
        self._name = _task_name(obj) if obj is not None else None
        self._info = None
        self._final = False
        self._result = _UNSET
        self._outputs = {}
        self._progress = None
        self._lock = threading.RLock()

    def __getattr__(self, name):
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

    def _store(self, info):
        with self._lock:
            old = self._info
            if old is None or old.get("attempts") != info.get("attempts") or old.get("task_status") != info.get("task_status"):
                self._result = _UNSET
                self._outputs = {}
            self._info = info
            self._final = self._final_info(info)

    def _final_info(self, info):
        status = TaskStatus.parse(info.get("task_status", "NOT_SUBMITTED"))
        if status in FINAL_STATUSES:
            return True
        if status == TaskStatus.INTERRUPTED:
            limit = self.job.max_interrupted_retries
            return limit is not None and info.get("interrupted_retry_attempts", 0) >= limit
        return False

    def _invalidate(self, forget=False):
        with self._lock:
            self._final = False
            if forget:
                self._info = None
                self._result = _UNSET
                self._outputs = {}

    def _snapshot(self):
        if self.job.id is None:
            return None
        with self._lock:
            if self._info is not None and self._final:
                return self._info
        info = self.job._scheduler._call("get_task", {"job_id": self.job.id, "task_id": self.id, "output_cap": 0})
        self._store(info)
        return info

    def _is_final(self, fetch=True):
        if fetch:
            self._snapshot()
        with self._lock:
            return self._info is not None and self._final

    # -- what the task returned -----------------------------------------------------------------

    @property
    def name(self):
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
    def result(self):
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
    def properties(self) -> dict:
        """The properties the task set: name -> str, int, float or bytes. Kept even when it failed."""
        info = self._snapshot()
        if info is None:
            return {}
        values = {}
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
    def task_cancellation_message(self):
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
    def progress(self):
        """The last :class:`TaskProgress` the task reported, or None."""
        info = self._snapshot()
        raw = info.get("progress") if info else None
        if raw:
            return TaskProgress(int(raw.get("percent", 0)), raw.get("info"))
        return self._progress

    @property
    def exception(self):
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
    def pid(self):
        """The host process's id, once it started (None before)."""
        info = self._snapshot()
        return None if info is None else info.get("pid")

    @property
    def exit_code(self):
        """The host process's exit status, once it exited (None if it was killed by a signal)."""
        info = self._snapshot()
        return None if info is None else info.get("exit_code")

    @property
    def warnings(self) -> list:
        """Problems the scheduler found in what the task reported (a malformed channel line, say)."""
        info = self._snapshot()
        return [] if info is None else list(info.get("warnings") or [])

    def cancel(self, message=None) -> int:
        """Cancels this task (reason DIRECT). Returns 1 if the cancel reached it, else 0."""
        self.job._require_submitted()
        answer = self.job._scheduler._call("cancel", {"job_id": self.job.id, "task_id": self.id, "message": message})
        return int(answer.get("canceled", 0))

    # -- decoding -------------------------------------------------------------------------------

    def _decode_result(self, info):
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
    def _setup_exception(info):
        """The exception the job's environment setup raised, kept beside the task payloads."""
        command = info.get("command") or []
        if "taskmon.host" not in command or not command[-1].endswith(".pickle"):
            return None
        path = os.path.join(os.path.dirname(command[-1]), SETUP_EXCEPTION_FILE)
        try:
            return _payload.decode_value("pickle-file", path)
        except Exception:
            return None

    def _output(self, stream):
        if self.job.id is None:
            return ""
        self._snapshot()
        with self._lock:
            if self._final and stream in self._outputs:
                return self._outputs[stream]
        answer = self.job._scheduler._call(
            "get_task", {"job_id": self.job.id, "task_id": self.id, "output_cap": OUTPUT_CAP})
        key = "standard_output" if stream == "stdout" else "standard_error"
        text = answer.get(key) or ""
        if answer.get(key + "_truncated"):
            text = self._read_whole(stream)
        for name in ("standard_output", "standard_error"):
            answer.pop(name, None)
        self._store(answer)
        with self._lock:
            if self._final:
                self._outputs[stream] = text
        return text

    def _read_whole(self, stream):
        import base64
        chunks = []
        offset = 0
        while True:
            chunk = self.job._scheduler._call("read_output", {"job_id": self.job.id, "task_id": self.id,
                                                              "stream": stream, "offset": offset, "length": READ_CHUNK})
            data = base64.b64decode(chunk.get("data") or "")
            chunks.append(data)
            offset += len(data)
            if not data or offset >= int(chunk.get("size", 0)):
                break
        return b"".join(chunks).decode("utf-8", errors="replace")
