"""taskmon's Python client: run plain Python task objects on a taskmon scheduler.

``from taskmon.client import JobScheduler`` to submit jobs; ``TaskStatus``,
``TaskCancellationReason`` and ``JobPriority`` are here, as are the errors. The task side
needs nothing from this package: a task is any picklable object with an ``execute()`` method.
"""

from taskmon.errors import (
    ProtocolError, ResultLoadError, SchedulerConnectionError, SchedulerError, SchedulerNotRunningError,
    SchedulerTimeoutError, TaskError, TaskmonError, UnpicklableResultError,
)
from taskmon.status import JobPriority, TaskCancellationReason, TaskStatus

from taskmon._version import __version__ as __version__

__all__ = [
    "JobScheduler", "TaskStatus", "TaskCancellationReason", "JobPriority", "TaskError", "TaskmonError",
    "SchedulerNotRunningError", "SchedulerConnectionError", "SchedulerError", "SchedulerTimeoutError",
    "ProtocolError", "ResultLoadError", "UnpicklableResultError",
]


def __getattr__(name: str) -> object:
    # The client (sockets, threads) is loaded only when asked for: the task host does not need it.
    if name == "JobScheduler":
        from taskmon.client import JobScheduler
        return JobScheduler
    raise AttributeError("module 'taskmon' has no attribute %r" % name)
