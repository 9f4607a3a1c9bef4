"""A task as it travels to its host: here, its place in the job's bundle of pickles."""

from __future__ import annotations

__all__ = ["TaskMetadata"]


class TaskMetadata:
    """``payload`` is ``BUNDLE#INDEX``: task INDEX of the job's pickled tasks."""

    def __init__(self, job_id: int, index: int, payload: str) -> None:
        self.job_id = job_id
        self.index = index
        self.payload = payload
