"""A task environment as it travels to its hosts: a pickle file and its identification."""

from __future__ import annotations

from taskmon.agiparallel.infrastructure.TaskEnvironmentIdentification import TaskEnvironmentIdentification

__all__ = ["TaskEnvironmentMetadata"]


class TaskEnvironmentMetadata:
    def __init__(self, identification: TaskEnvironmentIdentification, payload: str) -> None:
        self.identification = identification
        self.payload = payload
