"""What makes two task environments the same, so that hosts set up for one serve the other."""

from __future__ import annotations

from typing import Optional

__all__ = ["TaskEnvironmentIdentification"]


class TaskEnvironmentIdentification:
    """``unique_id`` plus an optional ``additional_id`` (a version, say): hosts are shared between
    jobs whose environments have both equal."""

    def __init__(self, unique_id: str, additional_id: Optional[str] = None) -> None:
        self.unique_id = unique_id
        self.additional_id = additional_id

    @property
    def key(self) -> str:
        """The id the scheduler's host pool matches on."""
        return self.unique_id if not self.additional_id else "%s/%s" % (self.unique_id, self.additional_id)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TaskEnvironmentIdentification) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return "TaskEnvironmentIdentification(%r, %r)" % (self.unique_id, self.additional_id)
