"""The reference task model's enumerations: task status, cancellation reason, job priority.

Names and numeric values are the reference scheduler's (``shared/reference/semantics.md``);
the scheduler sends them by name, and these enums read them back.
"""

from __future__ import annotations

import enum
from typing import Any, Type, TypeVar

_E = TypeVar("_E", bound="_NamedIntEnum")

__all__ = ["TaskStatus", "TaskCancellationReason", "JobPriority", "FINAL_STATUSES"]


class _NamedIntEnum(enum.IntEnum):
    """An IntEnum that prints as its name (``FAILED``) on every Python version.

    Python 3.11 changed ``str()`` of an IntEnum to the bare number; a status printed in a log
    should read ``FAILED``, not ``10``.
    """

    def __str__(self) -> str:
        return self.name

    def __format__(self, spec: str) -> str:
        return format(self.name, spec)

    @classmethod
    def parse(cls: Type[_E], value: Any) -> _E:
        """The member for a name (``"FAILED"``, case-insensitive, ``-`` for ``_``), a number, or a member."""
        if isinstance(value, cls):
            return value
        if isinstance(value, int) and not isinstance(value, bool):
            return cls(value)
        if isinstance(value, str):
            key = value.strip().upper().replace("-", "_")
            if key in cls.__members__:
                return cls.__members__[key]
            if key.isdigit():
                return cls(int(key))
        raise ValueError("%r is not a %s; use one of %s" % (value, cls.__name__, ", ".join(cls.__members__)))


class TaskStatus(_NamedIntEnum):
    """Where a task is in its life, with the reference's names and values."""

    NOT_SUBMITTED = 0
    """Created, not yet submitted."""
    SUBMITTED = 1
    """Queued, not yet given to a host."""
    ASSIGNED = 2
    """Given a slot, not yet running (the job's environment setup runs here)."""
    RUNNING = 3
    """Executing."""
    CANCELING = 4
    """A cancel was asked for and is under way."""
    INTERRUPTED = 5
    """The host process died unexpectedly; queued again up to ``max_interrupted_retries``."""
    CANCELED = 6
    """Canceled; see ``task_cancellation_message`` and ``task_cancellation_reason``."""
    ENVIRONMENT_ERROR = 7
    """The task environment's setup raised; the task never ran."""
    COMPLETED = 8
    """``execute()`` returned without an uncaught exception."""
    TIMED_OUT = 9
    """Ran longer than the job's task timeout and was killed."""
    FAILED = 10
    """An uncaught exception while running. Never retried."""

    @property
    def is_final(self) -> bool:
        """True for the states a task leaves only through an explicit retry.

        INTERRUPTED is final only once its retries are spent, which this cannot know.
        """
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({
    TaskStatus.CANCELED, TaskStatus.ENVIRONMENT_ERROR, TaskStatus.COMPLETED,
    TaskStatus.TIMED_OUT, TaskStatus.FAILED,
})


class TaskCancellationReason(_NamedIntEnum):
    """Why a task was canceled."""

    NONE = 0
    """Not canceled."""
    DIRECT = 1
    """A user canceled this task or its job."""
    CONSEQUENTIAL = 2
    """Canceled because another task of a ``cancel_on_task_failure`` job failed."""


class JobPriority(_NamedIntEnum):
    """Queue priority of a job: higher first, then submission order."""

    LOW = 0
    BELOW_NORMAL = 1
    NORMAL = 2
    ABOVE_NORMAL = 3
    HIGH = 4
