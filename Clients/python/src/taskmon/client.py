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

import datetime
from typing import Any, Iterable, Optional, Set, Union

import os
import threading
import weakref

from taskmon._events import EventHook, EventListener
from taskmon._job import Job, _optional_str, _positive_seconds
from taskmon._jobfiles import DEFAULT_RETENTION, JobFiles
from taskmon._protocol import Connection
from taskmon._statedir import announce, find_taskmon, resolve_state_dir, socket_path_of, start_scheduler
from taskmon._attempts import AttemptSummary, TaskAttempt
from taskmon._retry import RetryOutcome
from taskmon._task import Task, TaskExceptionInfo, TaskProgress
from taskmon.errors import SchedulerNotRunningError, TaskmonError
from taskmon.status import JobPriority

__all__ = ["JobScheduler", "Job", "Task", "TaskProgress", "TaskExceptionInfo", "EventHook",
           "TaskAttempt", "AttemptSummary", "RetryOutcome"]

DEFAULT_TIMEOUT = 120.0


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

    def __init__(self, state_dir: "Optional[str | os.PathLike[str]]" = None, socket: "Optional[str | os.PathLike[str]]" = None,
                 start_scheduler: bool = True, timeout: Optional[float] = DEFAULT_TIMEOUT,
                 payload_retention: float = DEFAULT_RETENTION, client_name: str = "taskmon-python") -> None:
        self.state_dir = resolve_state_dir(state_dir)
        self.socket_path = os.fspath(socket) if socket else socket_path_of(self.state_dir)
        self._explicit_socket = bool(socket)
        self.start_scheduler = start_scheduler
        self.timeout = timeout
        self.payload_retention = payload_retention
        self.client_name = client_name
        self.scheduler_pid: Optional[int] = None
        self._connection: Optional[Connection] = None
        self._listener: Optional[EventListener] = None
        self._files: Optional[JobFiles] = None
        # Every Job object made here, so that a retry by job id reaches the ones this program holds.
        self._jobs: "weakref.WeakSet[Job]" = weakref.WeakSet()
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
            files = self._files = JobFiles(self.state_dir)
            try:
                files.collect(connection, self.payload_retention)
            except (OSError, TaskmonError):
                pass
            return self

    def _start_scheduler(self, error: SchedulerNotRunningError) -> Connection:
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

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    def _call(self, method: str, params: Any = None) -> Any:
        if self._connection is None:
            self.connect()
        assert self._connection is not None
        return self._connection.call(method, params)

    def _events(self) -> EventListener:
        with self._lock:
            if self._connection is None:
                self.connect()
            if self._listener is None or not self._listener.alive:
                if self._listener is not None:
                    self._listener.stop()
                self._listener = EventListener(self.socket_path, self.client_name, self.timeout)
            listener: EventListener = self._listener
            return listener

    # -- jobs -----------------------------------------------------------------------------------

    def create_job(self, name: Optional[str] = None, description: Optional[str] = None,
                   priority: Union[JobPriority, str, int] = JobPriority.NORMAL,
                   task_timeout: Union[None, float, datetime.timedelta] = None,
                   max_interrupted_retries: Optional[int] = None, cancel_on_task_failure: bool = False,
                   task_environment: Any = None, interpreter: Optional[str] = None,
                   inherit_env: bool = True) -> "Job":
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
        :param inherit_env: the tasks start from this process's environment (``os.environ`` when
            the job is submitted); False: from the scheduler's minimal base (PATH, HOME, USER,
            LOGNAME, SHELL, LANG, TMPDIR). The job's own variables go on top either way.
        """
        job = Job(self, name=_optional_str(name, "name"), description=_optional_str(description, "description"),
                  priority=JobPriority.parse(priority), task_timeout=_positive_seconds(task_timeout, "task_timeout"),
                  max_interrupted_retries=max_interrupted_retries, cancel_on_task_failure=cancel_on_task_failure,
                  task_environment=task_environment, interpreter=interpreter, inherit_env=inherit_env)
        self._jobs.add(job)
        return job

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
        self._jobs.add(job)
        return job

    def cancel_job(self, job_id: int, message: Optional[str] = None) -> int:
        """Cancels every unfinished task of a job; returns how many the cancel reached."""
        return int(self._call("cancel", {"job_id": int(job_id), "message": message}).get("canceled", 0))

    def retry_tasks(self, tasks: Iterable[Any] = (), failed_of_jobs: Iterable[Any] = ()) -> RetryOutcome:
        """Queues finished tasks again, as new attempts, in one request (``retry_tasks``, as
        ``taskmon retry 3/0 3/4`` and ``taskmon retry JOB --failed`` send it): taskmon's own, the
        reference has no retry.

        :param tasks: :class:`Task` objects (``job.tasks[i]``) or ``(job_id, task_id)`` pairs.
        :param failed_of_jobs: :class:`Job` objects or job ids: every FAILED, TIMED_OUT and
            ENVIRONMENT_ERROR task of each (canceled ones are left alone).
        :returns: a :class:`RetryOutcome`: how many were queued again, how many were left as they
            were (not finished, not there) and why the first of those was.
        :raises TypeError, ValueError: an entry is neither, or not a valid id.

        The attempts that ended stay readable (``task.attempt(n)``). Every Job object of this
        client for a job concerned forgets its cached values and, if it had finished, follows
        the new attempts: its :meth:`Job.wait_until_done` waits for them and its events fire.
        """
        from taskmon import _retry
        refs, jobs = _retry.task_refs(tasks)
        ids, objects = _retry.job_ids(failed_of_jobs)
        if not refs and not ids:
            return RetryOutcome(0, 0, None)
        return _retry.run_many(self, refs, ids, jobs + objects)

    def _jobs_with_ids(self, ids: Set[int]) -> Set[Job]:
        return {job for job in list(self._jobs) if job.id in ids}
