"""Submitting and monitoring jobs, as the reference's ``agiparallel.client`` does it::

    from taskmon.agiparallel.client import ClusterJobScheduler

    with ClusterJobScheduler("localhost") as client:
        client.connect()
        job = client.create_job()
        job.task_execution_timeout = 30000          # milliseconds, as in the reference
        job.add_task(OurTask())
        job.submit()
        job.wait_until_done()
        print(job.tasks[0].result)

Options are attributes with the reference's names, units and defaults; setting one a job does
not have raises ``AttributeError`` naming the closest. After ``wait_until_done()`` (and in the
completion handlers) the task objects given to ``add_task`` carry what came back:
``task_status``, ``result``, ``standard_output``, ``standard_error``, ``properties``,
``task_cancellation_message``, ``task_cancellation_reason``.
"""

from __future__ import annotations

import atexit
import copy
import datetime
import difflib
import socket
import threading
import time
import uuid
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

from taskmon import _events
from taskmon._job import check_resources
from taskmon._task import Task as NativeTask
from taskmon._task import TaskProgress
from taskmon.agiparallel.constants import (AgentSelectionType, ConsumableResources, JobPriority, Operator,
                                           TaskCancellationReason, TaskStatus)
from taskmon.agiparallel.infrastructure.AgentSnapshot import AgentSnapshot, CoordinatorSnapshot
from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment
from taskmon.agiparallel.infrastructure.TaskPrecondition import TaskPrecondition
from taskmon.agiparallel.infrastructure.TaskProgressInformation import TaskProgressInformation
from taskmon.agiparallel.infrastructure.TaskState import TaskState
from taskmon.client import JobScheduler
from taskmon.errors import ResultLoadError, SchedulerError, TaskmonError

__all__ = ["ClusterJobScheduler", "Job", "JobSchedulerException", "TaskStatusChangedEventArgs"]

DEFAULT_PORT = 9090
_LOCAL_NAMES = {"localhost", "127.0.0.1", "::1", "localhost.localdomain"}
#: Attributes given to each task object after it finished (the reference's task attributes).
RESULT_ATTRIBUTES = ("task_status", "result", "standard_output", "standard_error", "properties",
                     "task_cancellation_message", "task_cancellation_reason")
#: Handlers a task object may carry; they stay in this process (never pickled to the host).
TASK_HOOKS = ("on_completed", "progress_updated")


class JobSchedulerException(TaskmonError):
    """The scheduler cannot do what was asked (another machine named, preconditions this machine
    cannot meet, a job used before it is submitted)."""


def _is_local(hostname: Optional[str]) -> bool:
    if hostname is None or hostname.strip().lower() in _LOCAL_NAMES:
        return True
    name = hostname.strip().lower()
    try:
        return name in {socket.gethostname().lower(), socket.getfqdn().lower()}
    except OSError:
        return False


class ClusterJobScheduler:
    """The reference's scheduler client, connected to the taskmon scheduler on this machine.

    ``hostname`` None or ``"localhost"`` (or this machine's name): the local scheduler, found as
    the CLI finds it (``$TASKMON_STATE_DIR``, …), started in the background if none runs. Another
    host raises :class:`JobSchedulerException`: taskmon runs jobs on this machine (Slurm is its
    way to others). ``port`` and the SSL options are accepted and mean nothing here (the local
    socket admits only your own user). ``state_dir`` picks another scheduler, as in
    :class:`taskmon.client.JobScheduler`.
    """

    def __init__(self, hostname: Optional[str] = None, port: int = DEFAULT_PORT, use_ssl: bool = False,
                 allow_self_signed_certificates: bool = False, ssl_client_authentication_timeout: int = 30,
                 provide_client_certificate: bool = False, client_certificate_certfile: Optional[str] = None,
                 client_certificate_keyfile: Optional[str] = None, client_certificate_password: Optional[str] = None,
                 coordinator_thumbprint: Optional[str] = None, state_dir: Optional[str] = None) -> None:
        if hostname is not None and not isinstance(hostname, str):
            raise TypeError("hostname must be a str or None, not %s" % type(hostname).__name__)
        if not _is_local(hostname):
            raise JobSchedulerException(
                "cannot reach a coordinator on %r: taskmon runs jobs on this machine; use "
                "ClusterJobScheduler() or ClusterJobScheduler('localhost') (its Slurm backend reaches a cluster)" % hostname)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError("port must be a number from 1 to 65535, not %r" % (port,))
        self.hostname = hostname or "localhost"
        self.port = port
        self.use_ssl = use_ssl
        self._native = JobScheduler(state_dir=state_dir, client_name="taskmon-agiparallel")
        self._id = str(uuid.uuid4())
        self._jobs: "weakref.WeakSet[Job]" = weakref.WeakSet()
        self._tasks: Dict[str, Tuple["Job", int]] = {}
        self._lock = threading.Lock()
        _OPEN.add(self)

    # -- connection -----------------------------------------------------------------------------

    def connect(self) -> None:
        """Connects to the local scheduler (starting one if none runs)."""
        self._native.connect()

    def disconnect(self) -> None:
        """Disconnects; jobs with ``cancel_on_client_disconnection`` are canceled first."""
        for job in list(self._jobs):
            if job.cancel_on_client_disconnection and job.id is not None and self._native.is_connected():
                try:
                    if not job._native_job.is_done:
                        job.cancel("the client disconnected")
                except TaskmonError:
                    pass
        self._native.disconnect()

    def is_connected(self) -> bool:
        return self._native.is_connected()

    @property
    def id(self) -> str:
        """This client's connection id."""
        return self._id

    def on_coordinator_disconnected(self) -> None:
        """Called when the connection to the scheduler is lost; connects again."""
        self._native.disconnect()
        self._native.connect()

    def __enter__(self) -> "ClusterJobScheduler":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    # -- jobs -----------------------------------------------------------------------------------

    def create_job(self) -> "Job":
        """A new job; set its options as attributes, add tasks, submit it."""
        job = Job(self)
        self._jobs.add(job)
        return job

    def cancel_job(self, job_id: int, listen_for_cancellation_event: bool = False) -> None:
        """Cancels every unfinished task of the job. With ``listen_for_cancellation_event``, waits
        until the job has finished."""
        self._native.cancel_job(int(job_id), message=None)
        if listen_for_cancellation_event:
            self._native.get_job(int(job_id)).wait_until_done()

    def cancel_task(self, task_id: Union[str, Any]) -> None:
        """Cancels one task: its ``unique_id`` (as handlers get it), the task object, or ``"JOB/INDEX"``."""
        job_id, index = self._locate(task_id)
        self._native._call("cancel", {"job_id": job_id, "task_id": index, "message": None})

    def _locate(self, task_id: Any) -> Tuple[int, int]:
        key = getattr(task_id, "unique_id", task_id)
        with self._lock:
            known = self._tasks.get(str(key))
        if known is not None:
            job, index = known
            if job.id is None:
                raise JobSchedulerException("task %s belongs to a job that is not submitted yet" % key)
            return job.id, index
        if isinstance(key, str) and key.count("/") == 1:
            left, right = key.split("/")
            if left.isdigit() and right.isdigit():
                return int(left), int(right)
        raise JobSchedulerException("no task %r: give a task's unique_id, the task object, or 'JOB/INDEX'" % (task_id,))

    def get_server_maximum_host_count(self) -> int:
        """How many hosts can run at once: the scheduler's slots."""
        return int(self._native._call("status").get("slots", 0))

    def get_coordinator_snapshot(self) -> CoordinatorSnapshot:
        """The scheduler's state: one agent (this machine), queued tasks, jobs, counts by status."""
        status = self._native._call("status")
        counts = dict(status.get("status_counts") or {})
        # busy_slots counts cores (a 2-core task takes 2): the agent's running tasks are counted as tasks.
        running = int(counts.get("RUNNING", 0)) + int(counts.get("CANCELING", 0))
        agent = AgentSnapshot(int(status.get("slots", 0)), running, str(status.get("state_dir", "")))
        return CoordinatorSnapshot([agent], int(status.get("queued", 0)), int(status.get("jobs", 0)),
                                   dict(status.get("status_counts") or {}))


_OPEN: "weakref.WeakSet[ClusterJobScheduler]" = weakref.WeakSet()


@atexit.register
def _cancel_interactive_jobs() -> None:
    # A program that ends without disconnecting still cancels its interactive jobs.
    for client in list(_OPEN):
        try:
            client.disconnect()
        except Exception:
            pass


#: The job's options: name → (default, check). Units and defaults are the reference's.
def _priority(value: Any) -> JobPriority:
    return JobPriority.parse(value)


def _bool(name: str) -> Callable[[Any], bool]:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError("%s must be True or False, not %r" % (name, value))
        return value
    return check


def _optional_text(name: str) -> Callable[[Any], Optional[str]]:
    def check(value: Any) -> Optional[str]:
        if value is not None and not isinstance(value, str):
            raise TypeError("%s must be a str or None, not %s" % (name, type(value).__name__))
        return value
    return check


def _timeout_ms(value: Any) -> int:
    if isinstance(value, datetime.timedelta):
        value = int(value.total_seconds() * 1000)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise TypeError("task_execution_timeout is in milliseconds (an int; -1: no limit), not %r" % (value,))
    if value != -1 and not value > 0:
        raise ValueError("task_execution_timeout must be a positive number of milliseconds, or -1 for no limit, not %r" % (value,))
    return int(value) if value == int(value) else value  # type: ignore[return-value]


def _retries(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("max_interrupted_retry_attempts must be an int, not %r" % (value,))
    if not 0 <= value <= 1000:
        raise ValueError("max_interrupted_retry_attempts must be from 0 to 1000, not %d" % value)
    return value


def _preconditions(value: Any) -> List[TaskPrecondition]:
    items = [] if value is None else list(value)
    for item in items:
        if not isinstance(item, TaskPrecondition):
            raise TypeError("task_preconditions holds TaskPrecondition objects, not %s" % type(item).__name__)
    return items


OPTIONS: Dict[str, Tuple[Any, Callable[[Any], Any]]] = {
    "name": (None, _optional_text("name")),
    "description": (None, _optional_text("description")),
    "priority": (JobPriority.NORMAL, _priority),
    "task_preconditions": (None, _preconditions),
    "agent_selection_preference": (AgentSelectionType.DEFAULT, AgentSelectionType.parse),
    "cancel_on_client_disconnection": (False, _bool("cancel_on_client_disconnection")),
    "cancel_on_task_failure": (False, _bool("cancel_on_task_failure")),
    "task_execution_timeout": (-1, _timeout_ms),
    "max_interrupted_retry_attempts": (5, _retries),
    # taskmon's own: False sends no environment (the tasks start from the scheduler's minimal base).
    "inherit_env": (True, _bool("inherit_env")),
}
EVENTS = ("task_completed", "job_completed", "task_state_changed", "task_progress_updated")
OTHER_ATTRIBUTES = ("task_environment", "tasks", "id", "dependencies")


class Job:
    """A group of tasks managed as a unit, with the reference's options (class docs of the module).

    Events (assign a handler, or ``+=`` several): ``task_completed(task)`` and
    ``job_completed(job)``; ``task_state_changed(args)`` with a :class:`TaskStatusChangedEventArgs`
    (``args.task``, ``args.previous_status``, ``args.new_status``, ``args.task_state.status``);
    ``task_progress_updated(task_id, task_progress_info)`` with a
    :class:`TaskProgressInformation`. ``task`` is the object given to ``add_task``, with its
    results already on it. A task object's own ``on_completed(task)`` and
    ``progress_updated(task_id, task_progress_info)`` are called too.
    """

    task_completed = _events.HookAttribute()
    job_completed = _events.HookAttribute()
    task_state_changed = _events.HookAttribute()
    task_progress_updated = _events.HookAttribute()

    name: Optional[str]
    description: Optional[str]
    priority: JobPriority
    task_preconditions: List[TaskPrecondition]
    agent_selection_preference: AgentSelectionType
    cancel_on_client_disconnection: bool
    cancel_on_task_failure: bool
    task_execution_timeout: float
    max_interrupted_retry_attempts: int
    inherit_env: bool
    task_environment: Any
    tasks: List[Any]
    id: Optional[int]
    dependencies: List[str]
    _scheduler: ClusterJobScheduler
    _native_job: Any
    _hooks: List[Dict[str, Any]]
    _copied: set  # type: ignore[type-arg]
    _copy_lock: Any

    def __init__(self, scheduler: ClusterJobScheduler) -> None:
        object.__setattr__(self, "_scheduler", scheduler)
        object.__setattr__(self, "_native_job", None)
        object.__setattr__(self, "_objects", [])
        object.__setattr__(self, "_hooks", [])
        object.__setattr__(self, "_copied", set())
        object.__setattr__(self, "_copy_lock", threading.RLock())
        for option, (default, _check) in OPTIONS.items():
            object.__setattr__(self, option, default if option != "task_preconditions" else [])
        object.__setattr__(self, "task_environment", TaskEnvironment())
        object.__setattr__(self, "tasks", [])
        object.__setattr__(self, "id", None)
        object.__setattr__(self, "dependencies", [])

    def __setattr__(self, name: str, value: Any) -> None:
        if name in OPTIONS:
            if self.id is not None:
                raise RuntimeError("job %d is submitted; its options cannot change any more" % self.id)
            object.__setattr__(self, name, OPTIONS[name][1](value))
        elif name == "task_environment":
            self.set_task_environment(value)
        elif name in EVENTS:
            object.__setattr__(self, name, value)
        elif name.startswith("_") or name in ("id", "tasks"):
            object.__setattr__(self, name, value)
        else:
            known = sorted(list(OPTIONS) + list(EVENTS) + list(OTHER_ATTRIBUTES))
            close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
            hint = "; did you mean %r?" % close[0] if close else "; its options are %s" % ", ".join(sorted(OPTIONS))
            raise AttributeError("a Job has no option %r%s" % (name, hint))

    def __repr__(self) -> str:
        return "<Job %s %r, %d task(s)>" % (self.id if self.id is not None else "(not submitted)", self.name, len(self.tasks))

    # -- building -------------------------------------------------------------------------------

    def add_task(self, task: Any) -> None:
        """Adds a task object (any picklable object with ``execute()``). It gets a ``unique_id``
        (kept if it has one) and, once finished, its results as attributes."""
        if self.id is not None:
            raise RuntimeError("job %d is already submitted; tasks cannot be added to it" % self.id)
        if not callable(getattr(task, "execute", None)):
            raise TypeError("a task needs an execute() method; %s has none" % type(task).__name__)
        if not isinstance(getattr(task, "unique_id", None), str):
            try:
                task.unique_id = str(uuid.uuid4())
            except AttributeError as error:
                raise TypeError("the task object (%s) cannot be given a unique_id: %s" % (type(task).__name__, error)) from None
        self.tasks.append(task)

    def add_task_preconditions(self, *preconditions: Union[TaskPrecondition, Iterable[TaskPrecondition], str, Any],
                               resource: Optional[str] = None, operation: Union[Operator, str, None] = None,
                               resource_value: Any = None) -> None:
        """Adds a condition for the job's tasks, as the reference does:
        ``add_task_preconditions(resource=CommonResources.AVAILABLE_CORES, operation=Operator.GREATER_THAN,
        resource_value=0)``; also positionally, or as ``TaskPrecondition`` objects (or lists of them).

        ``AVAILABLE_CORES``/``AVAILABLE_MEMORY`` with ``>``, ``>=``, ``==`` are reserved for each
        task while it runs; the others are checked against this machine at ``submit()`` (see
        :class:`~taskmon.agiparallel.constants.CommonResources`)."""
        if resource is not None:
            if preconditions:
                raise TypeError("give a precondition either as resource=, operation=, resource_value= or positionally, not both")
            items: List[Any] = [TaskPrecondition(resource, operation or Operator.EQUALS, resource_value)]
        elif len(preconditions) == 3 and isinstance(preconditions[0], str):
            items = [TaskPrecondition(preconditions[0], preconditions[1], preconditions[2])]  # type: ignore[arg-type]
        else:
            items = []
            for item in preconditions:
                items.extend(item if isinstance(item, (list, tuple)) else [item])
        self.task_preconditions = list(self.task_preconditions) + _preconditions(items)

    def add_dependency(self, *paths: str) -> None:
        """Files or folders the tasks need. They run on this machine, so nothing is copied; the
        paths are checked to exist at ``submit()``."""
        self.dependencies.extend(str(p) for p in paths)

    def set_task_environment(self, environment: Any) -> None:
        """The environment whose ``setup()`` each host calls before its first task (and
        ``teardown()`` when it is recycled); see :class:`TaskEnvironment`."""
        if self.id is not None:
            raise RuntimeError("job %d is submitted; its task environment cannot change any more" % self.id)
        if environment is None:
            environment = TaskEnvironment()
        if not any(callable(getattr(environment, phase, None)) for phase in ("setup", "teardown")):
            raise TypeError("a task environment needs setup() or teardown(); %s has neither (subclass TaskEnvironment)"
                            % type(environment).__name__)
        object.__setattr__(self, "task_environment", environment)

    # -- submitting -----------------------------------------------------------------------------

    def submit(self) -> None:
        """Queues the job on the local scheduler.

        :raises JobSchedulerException: a precondition this machine cannot meet, a missing dependency.
        :raises TypeError: a task (or the environment) cannot be pickled.
        """
        if self.id is not None:
            raise RuntimeError("job %d is already submitted" % self.id)
        try:
            problems = [p for p in (c.problem() for c in self.task_preconditions) if p]
            job_resources = _reserved(self.task_preconditions)
            check_resources(job_resources or None, "the job's preconditions")
            task_resources = [_requested(task) for task in self.tasks]
            for index, requested in enumerate(task_resources):
                check_resources(requested or None, "task %d's requested_task_resources" % index)
        except (TypeError, ValueError) as error:
            raise JobSchedulerException("the job's resources cannot be read: %s" % error) from None
        import os
        problems += ["dependency %s does not exist" % path for path in self.dependencies if not os.path.exists(path)]
        if problems:
            raise JobSchedulerException("the job cannot run on this machine: " + "; ".join(problems))
        scheduler = self._scheduler
        timeout = self.task_execution_timeout
        environment = self.task_environment
        native = scheduler._native.create_job(
            name=self.name, description=self.description, priority=self.priority,
            task_timeout=None if timeout == -1 else timeout / 1000.0,
            max_interrupted_retries=self.max_interrupted_retry_attempts,
            cancel_on_task_failure=self.cancel_on_task_failure, task_environment=environment,
            inherit_env=self.inherit_env)
        idle = getattr(environment, "host_idle_timeout", None)
        if idle is not None:
            native.host_idle_timeout = float(idle)
        native.resources = job_resources or None
        for task, requested in zip(self.tasks, task_resources):
            hooks = {name: getattr(task, name) for name in TASK_HOOKS if callable(getattr(task, name, None))}
            self._hooks.append(hooks)
            # A task's own request replaces the job's reservation field by field.
            own = dict(job_resources, **requested) if requested else None
            native.add_task(_without_hooks(task, hooks), resources=own)
        native.task_completed += self._on_task_completed
        native.task_state_changed += self._on_task_state_changed
        native.task_progress_updated += self._on_task_progress
        native.job_completed += self._on_job_completed
        object.__setattr__(self, "_native_job", native)
        try:
            job_id = native.submit()
        except SchedulerError as error:
            if "could never start here" in str(error):
                raise JobSchedulerException("the job cannot run on this scheduler: %s" % error) from None
            raise
        object.__setattr__(self, "id", job_id)
        object.__setattr__(self, "name", native.name)
        with scheduler._lock:
            for index, task in enumerate(self.tasks):
                scheduler._tasks[task.unique_id] = (self, index)

    def wait_until_done(self, time_out_in_milliseconds: Optional[float] = None,
                        heartbeat_callback: Optional[Callable[[], Any]] = None,
                        heartbeat_in_milliseconds: Optional[float] = None) -> bool:
        """Blocks until every task has finished (True), or the timeout, in milliseconds, passed (False).
        Afterwards the task objects carry their results.

        With ``heartbeat_callback``, it is called every ``heartbeat_in_milliseconds`` (default 1000)
        while the job runs, as the reference's ``WaitUntilDone(timeout, heartbeat, period)`` overload
        does; an exception it raises ends the wait and reaches the caller."""
        native = self._require_native()
        if isinstance(time_out_in_milliseconds, datetime.timedelta):
            seconds: Optional[float] = time_out_in_milliseconds.total_seconds()
        elif time_out_in_milliseconds is None or time_out_in_milliseconds < 0:
            seconds = None
        else:
            seconds = time_out_in_milliseconds / 1000.0
        if heartbeat_callback is None:
            done = bool(native.wait_until_done(seconds))
        else:
            if not callable(heartbeat_callback):
                raise TypeError("heartbeat_callback must be callable, not %s" % type(heartbeat_callback).__name__)
            period = 1.0 if heartbeat_in_milliseconds is None else float(heartbeat_in_milliseconds) / 1000.0
            if not period > 0:
                raise ValueError("heartbeat_in_milliseconds must be positive, not %r" % heartbeat_in_milliseconds)
            deadline = None if seconds is None else time.monotonic() + seconds
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done = bool(native.wait_until_done(period if left is None else min(period, left)))
                if done or (left is not None and left <= period):
                    break
                heartbeat_callback()
        if done:
            for index in range(len(self.tasks)):
                self._copy_results(index)
        return done

    def cancel(self, message: Optional[str] = None) -> None:
        """Cancels every unfinished task of the job (reason DIRECT)."""
        self._require_native().cancel(message)

    @property
    def is_done(self) -> bool:
        return bool(self._require_native().is_done)

    def _require_native(self) -> Any:
        if self._native_job is None:
            raise JobSchedulerException("the job is not submitted yet; call submit() first")
        return self._native_job

    # -- events (on the client's event thread) ---------------------------------------------------

    def _copy_results(self, index: int, force: bool = False) -> Any:
        task = self.tasks[index]
        with self._copy_lock:
            if index in self._copied and not force:
                return task
            native: NativeTask = self._native_job.tasks[index]
            for name in RESULT_ATTRIBUTES:
                try:
                    value = getattr(native, name)
                except ResultLoadError as error:
                    value = error
                try:
                    setattr(task, name, value)
                except AttributeError:
                    pass
            if native._is_final(fetch=False):
                self._copied.add(index)
        return task

    def _on_task_completed(self, native: NativeTask) -> None:
        hook = self._hooks[native.id].get("on_completed")
        if hook is None and not len(self.task_completed):
            return  # nobody looks now: the results reach the objects when the job completes
        task = self._copy_results(native.id, force=True)
        self.task_completed(task)
        if hook is not None:
            _events.EventHook.of(hook, "on_completed")(task)

    def _on_task_state_changed(self, native: NativeTask, previous: TaskStatus, status: TaskStatus) -> None:
        if len(self.task_state_changed):
            task = self.tasks[native.id]
            state = TaskState(native._info or {})
            state.task_status = status
            state.allocated_task_resources = _allocated(self._native_job, native)
            self.task_state_changed(TaskStatusChangedEventArgs(task, previous, status, state))

    def _on_task_progress(self, native: NativeTask, progress: TaskProgress) -> None:
        task = self.tasks[native.id]
        info = TaskProgressInformation.from_wire(progress.percent, progress.info)
        self.task_progress_updated(task.unique_id, info)
        hook = self._hooks[native.id].get("progress_updated")
        if hook is not None:
            _events.EventHook.of(hook, "progress_updated")(task.unique_id, info)

    def _on_job_completed(self, native: Any) -> None:
        for index in range(len(self.tasks)):
            self._copy_results(index)
        self.job_completed(self)


class TaskStatusChangedEventArgs:
    """What ``job.task_state_changed`` handlers get: ``task`` (the object given to ``add_task``),
    ``previous_status``, ``new_status`` and ``task_state`` (a :class:`TaskState`, whose
    ``status`` is the new one and ``allocated_task_resources`` what the task holds)."""

    def __init__(self, task: Any, previous_status: TaskStatus, new_status: TaskStatus, task_state: TaskState) -> None:
        self.task = task
        self.previous_status = previous_status
        self.new_status = new_status
        self.task_state = task_state

    def __repr__(self) -> str:
        return "<TaskStatusChangedEventArgs %s: %s -> %s>" % (
            getattr(self.task, "unique_id", "?"), self.previous_status.name, self.new_status.name)


def _reserved(preconditions: List[TaskPrecondition]) -> Dict[str, int]:
    """What the job's reservations (preconditions on available cores and memory) ask of each task."""
    reserved: Dict[str, int] = {}
    for precondition in preconditions:
        for key, amount in (precondition.reservation() or {}).items():
            reserved[key] = max(reserved.get(key, 0), amount)
    return reserved


_CONSUMABLE = {ConsumableResources.CORES: "cores", ConsumableResources.MEMORY: "memory_mb",
               ConsumableResources.ESTIMATED_MEMORY_BUDGET: "memory_mb"}


def _requested(task: Any) -> Dict[str, int]:
    """A task object's ``requested_task_resources`` (``{ConsumableResources.CORES: 2}``) as the scheduler's resources."""
    requested = getattr(task, "requested_task_resources", None)
    if not requested:
        return {}
    if not isinstance(requested, dict):
        raise TypeError("requested_task_resources must be a dict like {ConsumableResources.CORES: 2}, not %s"
                        % type(requested).__name__)
    resources: Dict[str, int] = {}
    for name, amount in requested.items():
        key = _CONSUMABLE.get(name)
        if key is None:
            raise ValueError("requested_task_resources: unknown resource %r (use ConsumableResources.CORES, MEMORY "
                             "or ESTIMATED_MEMORY_BUDGET)" % (name,))
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not amount >= 1:
            raise ValueError("requested_task_resources[%s] must be a number of at least 1, not %r" % (name, amount))
        resources[key] = max(resources.get(key, 0), int(-(-amount // 1)))
    return resources


def _allocated(native_job: Any, native: NativeTask) -> Dict[str, int]:
    """What a task holds while it runs, by :class:`ConsumableResources` name."""
    resources = native._resources or native_job.resources or {}
    allocated = {ConsumableResources.CORES: int(resources.get("cores", 1))}
    if "memory_mb" in resources:
        allocated[ConsumableResources.MEMORY] = int(resources["memory_mb"])
    return allocated


def _without_hooks(task: Any, hooks: Dict[str, Any]) -> Any:
    """The task as it goes to its host: without its handlers (they may hold unpicklable things,
    and they run here, not there)."""
    if not hooks:
        return task
    clone = copy.copy(task)
    for name in hooks:
        try:
            delattr(clone, name)
        except AttributeError:
            pass
    return clone


__all__ += ["TaskStatus", "TaskCancellationReason", "JobPriority"]
