"""Earlier attempts of a retried task: a summary of each, and one read whole."""

from __future__ import annotations

from typing import Any, Dict, NamedTuple, Optional

import datetime

from taskmon._task import Task
from taskmon.status import TaskStatus

__all__ = ["AttemptSummary", "TaskAttempt"]


def _time(text: Any) -> Optional[datetime.datetime]:
    """An ISO 8601 time of the scheduler's (``2026-12-02T03:34:17.549Z``) as an aware datetime."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        return None


class AttemptSummary(NamedTuple):
    """One earlier attempt of a task, as ``task.attempt_history`` lists it (``taskmon show JOB/TASK``'s
    table): enough to choose one; ``task.attempt(summary.attempt)`` reads it whole."""

    attempt: int
    """Its number: 1 for the task's first run."""
    task_status: TaskStatus
    started_at: Optional[datetime.datetime]
    finished_at: Optional[datetime.datetime]
    exit_code: Optional[int]
    signal: Optional[int]
    exception_type: Optional[str]

    @classmethod
    def parse(cls, entry: Dict[str, Any]) -> "AttemptSummary":
        return cls(int(entry.get("attempt", 0)), TaskStatus.parse(entry.get("task_status", "NOT_SUBMITTED")),
                   _time(entry.get("started_at")), _time(entry.get("finished_at")), entry.get("exit_code"),
                   entry.get("signal"), entry.get("exception_type"))


class TaskAttempt(Task):
    """An earlier attempt of a task, as it ended and was kept: ``task.attempt(n)``.

    It reads like the task (``task_status``, ``result``, ``standard_output``, ``standard_error``,
    ``properties``, ``exception``, ``task_cancellation_message``, ``host``, ``exit_code``, ...),
    from what the scheduler kept of that attempt (``get_task``/``read_output`` with ``attempt``),
    fetched once: an attempt that ended never changes. ``number`` is the attempt's number;
    ``attempts`` is still the task's count of attempts. It cannot be canceled or retried (the
    task can).
    """

    def __init__(self, task: Task, number: int) -> None:
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError("an attempt is a whole number (1 is the first), not %r" % (number,))
        if number < 1:
            raise ValueError("an attempt is numbered from 1 (the first), not %d" % number)
        super().__init__(task.job, task.id, task._obj)
        self._name = task._name
        self._attempt = number
        self._snapshot()  # a missing attempt raises here, with the scheduler's reason

    @property
    def number(self) -> int:
        """Which attempt this is: 1 for the task's first run."""
        assert self._attempt is not None
        return self._attempt

    def __repr__(self) -> str:
        info = self.__dict__.get("_info")
        return "<TaskAttempt %s/%d #%d %r %s>" % (self.job.id, self.id, self.number, self.name,
                                                   info.get("task_status") if info else "?")

    def attempt(self, number: int) -> "TaskAttempt":
        return TaskAttempt(self, number)

    def retry(self) -> None:
        raise RuntimeError("attempt %d of task %s/%d has ended for good: retry the task itself (job.tasks[%d].retry())"
                           % (self.number, self.job.id, self.id, self.id))

    def cancel(self, message: Optional[str] = None) -> int:
        raise RuntimeError("attempt %d of task %s/%d has ended: there is nothing of it to cancel"
                           % (self.number, self.job.id, self.id))
