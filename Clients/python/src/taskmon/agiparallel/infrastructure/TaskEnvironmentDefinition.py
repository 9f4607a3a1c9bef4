"""Snapshot data for a task environment."""

from __future__ import annotations

from typing import Optional

from taskmon.agiparallel.infrastructure.TaskEnvironmentIdentification import TaskEnvironmentIdentification

__all__ = ["TaskEnvironmentDefinition"]


class TaskEnvironmentDefinition:
    """Its identification, type name and working directory."""

    def __init__(self, identification: TaskEnvironmentIdentification, type_name: str,
                 working_directory: Optional[str] = None) -> None:
        self.identification = identification
        self.type_name = type_name
        self.working_directory = working_directory
