"""Exceptions of the taskmon client, and the stand-ins it uses for a task's exceptions.

Standard library only: the task host imports this module too.
"""

from __future__ import annotations

__all__ = [
    "TaskmonError", "SchedulerNotRunningError", "SchedulerConnectionError", "SchedulerError",
    "SchedulerTimeoutError", "ProtocolError", "ResultLoadError", "TaskError", "UnpicklableResultError",
]


class TaskmonError(Exception):
    """Base class of the errors the client raises."""


class SchedulerNotRunningError(TaskmonError):
    """No scheduler accepts connections at the socket (and none could be started)."""


class SchedulerConnectionError(TaskmonError):
    """The connection to the scheduler broke: it stopped, or was stopped, while we talked."""


class SchedulerTimeoutError(TaskmonError):
    """The scheduler did not answer a request in time."""


class SchedulerError(TaskmonError):
    """The scheduler answered a request with an error (a bad spec, an unknown job, ...).

    ``code`` is the protocol's error code (see ``RPCErrorCode`` in the Swift sources).
    """

    NOT_FOUND = 1
    INVALID_SPEC = 2
    UNSUPPORTED_VERSION = 3
    ILLEGAL_STATE = 4
    SHUTTING_DOWN = 5

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class ProtocolError(TaskmonError):
    """The scheduler said something this client cannot read."""


class ResultLoadError(TaskmonError):
    """A task's result came back but cannot be unpickled here (a module missing on the client, say)."""


class TaskError(Exception):
    """Stands in for a task's exception that the client cannot have as itself.

    Used when the exception object could not be pickled (or unpickled), and for failures the
    scheduler reports without a Python exception: a timeout, a host process that died, a task
    that could not start. ``type_name`` is the original exception's type, ``message`` its
    message, ``trace`` the stack trace (also in the task's ``standard_error``).
    """

    def __init__(self, type_name: str, message: str = "", trace: str = ""):
        super().__init__("%s: %s" % (type_name, message) if message else type_name)
        self.type_name = type_name
        self.message = message
        self.trace = trace

    def __reduce__(self) -> "tuple[type, tuple[str, str, str]]":
        return (TaskError, (self.type_name, self.message, self.trace))


class UnpicklableResultError(TypeError):
    """The value a task set as ``self.result`` cannot be pickled; the task is FAILED with this."""

    def __reduce__(self) -> "tuple[type, tuple[object, ...]]":
        return (UnpicklableResultError, self.args)
