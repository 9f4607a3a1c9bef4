"""A job: the tasks added to it, submitting it, waiting for it, its events."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple, Union

import datetime
import os
import site
import sys
import threading
import time

from taskmon import _payload
from taskmon._events import HookAttribute
from taskmon._jobfiles import JobFiles
from taskmon._task import Task, TaskProgress
from taskmon._retry import RetryOutcome
from taskmon.errors import SchedulerConnectionError, TaskmonError
from taskmon.status import FINAL_STATUSES, JobPriority, TaskStatus

TASK_PAGE = 20000
# The scheduler's bound on one environment map (JobSpecLimits.maxEnvBytes).
MAX_ENV_BYTES = 1 << 20


def _positive_seconds(value: Any, what: str) -> Optional[float]:
    if value is None:
        return None
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number of seconds or a timedelta, not %s" % (what, type(value).__name__))
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError("%s must be a positive number of seconds, not %r" % (what, value))
    return float(value)


def _optional_str(value: Any, what: str) -> Optional[str]:
    if value is not None and not isinstance(value, str):
        raise TypeError("%s must be a str, not %s" % (what, type(value).__name__))
    return value


RESOURCE_KEYS = {"cores": 4096, "memory_mb": 64 << 20}


def check_resources(value: Any, what: str) -> Optional[Dict[str, int]]:
    """``{"cores": N, "memory_mb": M}`` checked (whole numbers from 1 to the scheduler's bounds); None stays None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TypeError("%s must be a dict like {'cores': 2, 'memory_mb': 512}, not %s" % (what, type(value).__name__))
    checked: Dict[str, int] = {}
    for key, amount in value.items():
        if key not in RESOURCE_KEYS:
            raise ValueError("%s: unknown resource %r (known: %s)" % (what, key, ", ".join(sorted(RESOURCE_KEYS))))
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise TypeError("%s[%r] must be a whole number, not %r" % (what, key, amount))
        if not 1 <= amount <= RESOURCE_KEYS[key]:
            raise ValueError("%s[%r] must be from 1 to %d, not %d" % (what, key, RESOURCE_KEYS[key], amount))
        checked[key] = amount
    return checked or None


def _submitter_env() -> Dict[str, str]:
    """This process's environment, as the job's tasks start from it: entries no environment can
    hold or JSON cannot carry (undecodable bytes) are left out."""
    env: Dict[str, str] = {}
    for name, value in os.environ.items():
        if not name or "=" in name or "\0" in name or "\0" in value:
            continue
        try:
            name.encode("utf-8")
            value.encode("utf-8")
        except UnicodeEncodeError:
            continue
        env[name] = value
    size = sum(len(n.encode("utf-8")) + len(v.encode("utf-8")) + 2 for n, v in env.items())
    if size > MAX_ENV_BYTES:
        raise ValueError("this process's environment is %d bytes, more than the %d a job may carry; "
                         "create the job with inherit_env=False to send none" % (size, MAX_ENV_BYTES))
    return env


def _site_folders() -> Set[str]:
    folders: Set[str] = set()
    try:
        folders.update(site.getsitepackages())
    except AttributeError:  # old virtualenvs
        pass
    try:
        folders.add(site.getusersitepackages())
    except AttributeError:
        pass
    return {os.path.realpath(f) for f in folders}


def _is_interpreter_folder(folder: str, sites: Set[str]) -> bool:
    real = os.path.realpath(folder)
    if real in sites:
        return True
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    return any(real == p or real.startswith(p + os.sep) for p in prefixes)


def _user_sys_path() -> List[str]:
    """The client's ``sys.path`` entries that are the user's own folders (the script's, a project's),
    not the interpreter's: the host adds them, so that modules beside the script import there too."""
    sites = _site_folders()
    folders: List[str] = []
    for entry in sys.path:
        folder = os.path.abspath(entry or os.getcwd())
        if os.path.isdir(folder) and not _is_interpreter_folder(folder, sites) and folder not in folders:
            folders.append(folder)
    return folders


def _host_pythonpath() -> str:
    """``PYTHONPATH`` for the host: where taskmon and cloudpickle were found, unless installed in
    the interpreter's site folders, then the client's own ``PYTHONPATH``."""
    import cloudpickle
    sites = _site_folders()
    folders: List[str] = []
    for module in (sys.modules["taskmon"], cloudpickle):
        folder = os.path.dirname(os.path.dirname(os.path.abspath(str(module.__file__))))
        if not _is_interpreter_folder(folder, sites) and folder not in folders:
            folders.append(folder)
    inherited = os.environ.get("PYTHONPATH")
    if inherited:
        folders.extend(p for p in inherited.split(os.pathsep) if p and p not in folders)
    return os.pathsep.join(folders)


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

    def __init__(self, scheduler: Any, name: Optional[str], description: Optional[str], priority: JobPriority,
                 task_timeout: Optional[float], max_interrupted_retries: Optional[int], cancel_on_task_failure: bool,
                 task_environment: Any, interpreter: Optional[str], inherit_env: bool = True) -> None:
        if max_interrupted_retries is not None:
            if isinstance(max_interrupted_retries, bool) or not isinstance(max_interrupted_retries, int):
                raise TypeError("max_interrupted_retries must be an int")
            if not 0 <= max_interrupted_retries <= 1000:
                raise ValueError("max_interrupted_retries must be from 0 to 1000, not %d" % max_interrupted_retries)
        if not isinstance(cancel_on_task_failure, bool):
            raise TypeError("cancel_on_task_failure must be True or False")
        if not isinstance(inherit_env, bool):
            raise TypeError("inherit_env must be True or False")
        if task_environment is not None and not any(
                callable(getattr(task_environment, phase, None)) for phase in ("setup", "teardown")):
            raise TypeError("a task environment needs a setup() or teardown() method; %s has neither"
                            % type(task_environment).__name__)
        self._scheduler = scheduler
        self.id: Optional[int] = None
        self.name = name
        self.description = description
        self.priority = priority
        self.task_timeout = task_timeout
        self.max_interrupted_retries = max_interrupted_retries
        self.cancel_on_task_failure = cancel_on_task_failure
        self.task_environment = task_environment
        self.inherit_env = inherit_env
        self.interpreter = _optional_str(interpreter, "interpreter") or sys.executable
        # Hosts of environments with one unique id are shared between jobs (see the README).
        env_id = getattr(task_environment, "unique_id", None) if task_environment is not None else None
        extra = getattr(task_environment, "additional_id", None) if task_environment is not None else None
        self.unique_id = None if env_id is None else str(env_id) if not extra else "%s/%s" % (env_id, extra)
        self.host_idle_timeout: Optional[float] = None
        #: Cores and memory each task needs (``{"cores": 2, "memory_mb": 512}``), unless
        #: ``add_task(..., resources=...)`` says otherwise: slots count cores, see the README.
        self.resources: Optional[Dict[str, int]] = None
        self.working_directory = getattr(task_environment, "working_directory", None) if task_environment is not None else None
        self.tasks: List[Task] = []
        self._folder: Optional[str] = None
        self._listener: Any = None
        self._lock = threading.RLock()
        self._reported: Set[Tuple[int, Any]] = set()
        self._finishing = False
        # Counts the times the job ran again after it had finished (a retry): a completion that
        # was being delivered meanwhile does not mark the job done.
        self._runs = 0
        self._finish_error: Optional[TaskmonError] = None
        self._done = threading.Event()
        self._wakeup = threading.Event()

    def __repr__(self) -> str:
        return "<Job %s %r, %d task(s)>" % (self.id if self.id is not None else "(not submitted)", self.name, len(self.tasks))

    # -- building and submitting ----------------------------------------------------------------

    def add_task(self, task: Any, resources: Optional[Dict[str, int]] = None) -> "Task":
        """Adds a task object: any picklable object with an ``execute()`` method. Returns its
        :class:`Task`, which is also ``job.tasks[i]``. ``resources`` (``{"cores": 2,
        "memory_mb": 512}``) is what this task needs instead of the job's ``resources``."""
        if self.id is not None:
            raise RuntimeError("job %d is already submitted; tasks cannot be added to it" % self.id)
        if not callable(getattr(task, "execute", None)):
            raise TypeError("a task needs an execute() method; %s has none" % type(task).__name__)
        proxy = Task(self, len(self.tasks), task)
        proxy._resources = check_resources(resources, "resources")
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

    def _spec(self, folder: str) -> Dict[str, Any]:
        user_path = _user_sys_path()
        bundle = os.path.join(folder, "tasks.pickle")
        try:
            _payload.write_bundle(bundle, [task._obj for task in self.tasks], user_path)
        except _payload.BundleError as problem:
            task, error = self.tasks[problem.index], problem.error
            raise TypeError("task %d (%s) cannot be pickled to send it to its host: %s: %s"
                            % (task.id, type(task._obj).__name__, type(error).__name__, error)) from error
        tasks: List[Dict[str, Any]] = [{"name": task._name, "python": "%s#%d" % (bundle, task.id)} for task in self.tasks]
        for entry, task in zip(tasks, self.tasks):
            if task._resources:
                entry["resources"] = task._resources
        environment: Dict[str, Any] = {"cwd": self.working_directory or os.getcwd()}
        pythonpath = _host_pythonpath()
        if pythonpath:
            environment["env"] = {"PYTHONPATH": pythonpath}
        hosting: Dict[str, Any] = {"interpreter": [self.interpreter]}
        if self.task_environment is not None:
            path = os.path.join(folder, "environment.pickle")
            try:
                _payload.write_payload(path, self.task_environment, user_path)
            except Exception as error:
                raise TypeError("the task environment (%s) cannot be pickled: %s: %s"
                                % (type(self.task_environment).__name__, type(error).__name__, error)) from error
            hosting["environment"] = path
        if self.unique_id is not None:
            hosting["unique_id"] = str(self.unique_id)
        if self.host_idle_timeout is not None:
            hosting["idle_timeout"] = self.host_idle_timeout
        spec: Dict[str, Any] = {"priority": self.priority.name.lower(), "cancel_on_task_failure": self.cancel_on_task_failure,
                "environment": environment, "host": hosting, "tasks": tasks}
        resources = check_resources(self.resources, "job.resources")
        if resources:
            spec["resources"] = resources
        # The tasks start from this process's environment (see the README: a task's environment).
        if self.inherit_env:
            spec["submitter_env"] = _submitter_env()
        else:
            spec["inherit_env"] = False
        for key, value in (("name", self.name), ("description", self.description),
                           ("task_timeout", self.task_timeout), ("max_interrupted_retries", self.max_interrupted_retries)):
            if value is not None:
                spec[key] = value
        return spec

    # -- following ------------------------------------------------------------------------------

    def wait_until_done(self, timeout: Union[None, float, datetime.timedelta] = None) -> bool:
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
                        "stopped following job %s: %s" % (self.id, listener.error)) from listener.error
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._wakeup.wait(0.5 if left is None else min(0.5, left))
                self._wakeup.clear()
        if self._finish_error is not None:
            raise self._finish_error
        return True

    def cancel(self, message: Optional[str] = None) -> int:
        """Cancels every unfinished task (reason DIRECT; the message says who and why).
        Returns how many tasks the cancel reached."""
        self._require_submitted()
        return int(self._scheduler._call("cancel", {"job_id": self.id, "message": message}).get("canceled", 0))

    def refresh(self) -> None:
        """Forgets what is cached about the tasks, and follows the job again if it had finished
        and runs again (after a retry from the monitor or ``taskmon retry``, say), so that
        :meth:`wait_until_done` waits for the new attempts. (A retry through this client does
        this by itself.)"""
        if self.id is None:
            return
        listener = self._scheduler._events()
        with listener.registration:
            self._after_retry(listener)

    def retry_failed(self) -> "RetryOutcome":
        """Queues every FAILED, TIMED_OUT and ENVIRONMENT_ERROR task of the job again, as new
        attempts, in one request (``taskmon retry JOB --failed``); canceled tasks are left alone.
        The attempts that ended stay readable (``task.attempt(n)``); :meth:`wait_until_done`
        waits for the new ones. Returns a :class:`~taskmon.client.RetryOutcome`."""
        from taskmon import _retry
        self._require_submitted()
        assert self.id is not None
        return _retry.run_many(self._scheduler, [], [self.id], [self])

    def _after_retry(self, listener: Any, runs_again: Optional[bool] = None) -> None:
        """Some of the job's tasks may run again: forget the cached values and, if the job had
        finished and runs again, follow it again with ``listener`` (called with its registration
        held, so that none of the job's new events is missed). ``runs_again`` is what the retry's
        answer said; None (a refresh, an older scheduler) asks the scheduler."""
        for task in self.tasks:
            task._invalidate(forget=True)
        with self._lock:
            if not self._finishing:
                return  # not finished: still followed (or followed anew by wait_until_done)
        if runs_again is None:
            info = self._scheduler._call("get_job", {"job_id": self.id, "include_tasks": False})
            runs_again = not info.get("finished_at")
        if not runs_again:
            return
        with self._lock:
            self._runs += 1
            self._finishing = False
            self._finish_error = None
            self._done.clear()
            self._listener = listener
            listener.watch(self)

    def environment_output(self, phase: str = "setup") -> Tuple[str, str]:
        """What the task environment's ``setup()`` (or ``teardown()``) printed in this job's hosts:
        ``(stdout, stderr)``, from the job's ``setup.*`` / ``teardown.*`` files in the scheduler's
        state dir (each host that set up appends to them; teardown output arrives when a host is
        recycled, after the job's last task)."""
        if phase not in ("setup", "teardown"):
            raise ValueError("phase is 'setup' or 'teardown', not %r" % (phase,))
        self._require_submitted()
        folder = os.path.join(self._scheduler.state_dir, "output", str(self.id))
        texts = []
        for stream in ("stdout", "stderr"):
            try:
                fd = os.open(os.path.join(folder, "%s.%s" % (phase, stream)), os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0))
            except FileNotFoundError:
                texts.append("")
                continue
            with os.fdopen(fd, "rb") as f:
                texts.append(f.read().decode("utf-8", errors="replace"))
        return texts[0], texts[1]

    @property
    def is_done(self) -> bool:
        """True once every task is final (asks the scheduler unless already known)."""
        if self._done.is_set():
            return True
        self._require_submitted()
        return bool(self._scheduler._call("get_job", {"job_id": self.id, "include_tasks": False}).get("finished_at"))

    def _require_submitted(self) -> None:
        if self.id is None:
            raise RuntimeError("the job is not submitted yet; call submit() first")

    # -- events (called on the event thread) ----------------------------------------------------

    def _wake(self) -> None:
        self._wakeup.set()

    def _task(self, index: Any) -> Optional[Task]:
        if isinstance(index, int) and 0 <= index < len(self.tasks):
            return self.tasks[index]
        return None

    def _on_status_changed(self, data: Dict[str, Any]) -> None:
        task = self._task(data.get("task_id"))
        if task is None:
            return
        task._invalidate()
        status = TaskStatus.parse(data["status"])
        if len(self.task_state_changed):
            self.task_state_changed(task, TaskStatus.parse(data["previous"]), status)
        if status in FINAL_STATUSES or (status == TaskStatus.INTERRUPTED and task._is_final()):
            self._report_completed(task, data.get("attempts"))

    def _on_progress(self, data: Dict[str, Any]) -> None:
        task = self._task(data.get("task_id"))
        if task is None:
            return
        raw = data.get("progress") or {}
        progress = TaskProgress(int(raw.get("percent", 0)), raw.get("info"))
        task._progress = progress
        self.task_progress_updated(task, progress)

    def _report_completed(self, task: Task, attempts: Any) -> None:
        with self._lock:
            key = (task.id, attempts)
            if key in self._reported:
                return
            self._reported.add(key)
        self.task_completed(task)

    def _fetch_all(self) -> Dict[str, Any]:
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
                return dict(info)

    def _catch_up(self) -> None:
        """After missing events: report what finished meanwhile, and the job if it is done."""
        info = self._fetch_all()
        for task in self.tasks:
            if task._is_final(fetch=False):
                self._report_completed(task, (task._info or {}).get("attempts"))
        if info.get("finished_at"):
            self._finish()

    def _finish(self) -> None:
        with self._lock:
            if self._finishing:
                return
            self._finishing = True
            run = self._runs
        try:
            self._fetch_all()
            for task in self.tasks:
                if task._is_final(fetch=False):
                    self._report_completed(task, (task._info or {}).get("attempts"))
            self.job_completed(self)
        except TaskmonError as error:
            self._finish_error = error
        finally:
            with self._lock:
                # A job_completed handler that retried tasks made the job run again: not done.
                if run == self._runs:
                    if self._listener is not None:
                        self._listener.unwatch(self)
                    self._done.set()
            self._wakeup.set()
