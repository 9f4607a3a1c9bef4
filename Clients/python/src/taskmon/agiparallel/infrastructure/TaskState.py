"""A task as the scheduler keeps it, for snapshots."""

from __future__ import annotations

import datetime
from typing import Any, Dict, Optional

from taskmon.status import TaskCancellationReason, TaskStatus

__all__ = ["TaskState"]


class TaskState:
    """The mutable attributes of a task: status, times, host, progress, cancellation."""

    def __init__(self, info: Dict[str, Any]) -> None:
        self.job_id: Optional[int] = info.get("job_id")
        self.task_id: Optional[int] = info.get("id")
        self.name: Optional[str] = info.get("name")
        self.task_status = TaskStatus.parse(info.get("task_status", "NOT_SUBMITTED"))
        self.host: Optional[str] = info.get("host")
        self.host_process_id: Optional[int] = info.get("pid")
        self.attempts = int(info.get("attempts", 0))
        self.interrupted_retry_attempts = int(info.get("interrupted_retry_attempts", 0))
        self.task_cancellation_message: Optional[str] = info.get("task_cancellation_message")
        self.task_cancellation_reason = TaskCancellationReason.parse(info.get("task_cancellation_reason") or "NONE")
        progress = info.get("progress") or {}
        self.progress = int(progress.get("percent", 0))
        self.submitted_at = _time(info.get("submitted_at"))
        self.started_at = _time(info.get("started_at"))
        self.finished_at = _time(info.get("finished_at"))
        self.allocated_task_resources: Dict[str, int] = {}
        """What the task holds while it runs, by ``ConsumableResources`` name (in state-change events)."""

    @property
    def status(self) -> TaskStatus:
        """The task's status (the reference's name for ``task_status``)."""
        return self.task_status

    @status.setter
    def status(self, value: TaskStatus) -> None:
        self.task_status = value

    def __repr__(self) -> str:
        return "<TaskState %s/%s %s>" % (self.job_id, self.task_id, self.task_status)


def _time(text: Optional[str]) -> Optional[datetime.datetime]:
    if not text:
        return None
    try:
        return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
