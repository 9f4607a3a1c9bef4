"""A task's reported progress, as the job's ``task_progress_updated`` handlers receive it."""

from __future__ import annotations

import re
from typing import Optional, Union

__all__ = ["TaskProgressInformation", "ProgressValue"]

ProgressValue = Union[str, int, float]
_INT = re.compile(r"-?\d+\Z")
_FLOAT = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?\Z")


class TaskProgressInformation:
    """``progress`` (an int, 0–100 here) and ``additional_information`` (a str, int or float, as
    the task passed it)."""

    def __init__(self, progress: int = 0, additional_information: Optional[ProgressValue] = None) -> None:
        self.progress = progress
        self.additional_information = additional_information

    @classmethod
    def from_wire(cls, percent: int, info: Optional[str]) -> "TaskProgressInformation":
        """From the scheduler's record, where information travels as text: a number comes back
        as the int or float it was (so a str that looks like a number does too)."""
        value: Optional[ProgressValue] = info
        if info is not None:
            if _INT.match(info):
                value = int(info)
            elif _FLOAT.match(info):
                value = float(info)
        return cls(int(percent), value)

    def __repr__(self) -> str:
        return "TaskProgressInformation(progress=%r, additional_information=%r)" % (self.progress, self.additional_information)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TaskProgressInformation) and other.progress == self.progress
                and other.additional_information == self.additional_information)

    __hash__ = None  # type: ignore[assignment]
