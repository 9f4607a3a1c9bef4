"""Constants and enumerations, as the reference's ``agiparallel.constants`` names them."""

from __future__ import annotations

import enum

from taskmon.status import JobPriority, TaskCancellationReason, TaskStatus, _NamedIntEnum

__all__ = [
    "TaskStatus", "TaskCancellationReason", "JobPriority", "TaskProperties", "AgentSelectionType",
    "PreconditionOperator", "SystemProperties",
]


class TaskProperties:
    """Names of the properties the host gives a task (``self.get_property(TaskProperties.ENVIRONMENT)``)."""

    ENVIRONMENT = "Environment"
    """The task environment the task's host set up (its ``setup()`` ran in this process)."""
    HOST_ID = "HostId"
    """The id of the host process running the task (its pid, as a string)."""
    JOB_ID = "JobId"
    """The id of the task's job."""
    TASK_ID = "TaskId"
    """The task's id: ``JOB/INDEX``."""


class AgentSelectionType(_NamedIntEnum):
    """How the reference picks an agent for a task. taskmon has one agent (this machine), so every
    choice selects it; the value is kept on the job."""

    DEFAULT = 0
    ROUND_ROBIN = 1
    PREFER_LEAST_BUSY = 2
    SPREAD_EVENLY = 3


class PreconditionOperator(str, enum.Enum):
    """How a precondition compares a machine's value with the job's."""

    EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = ">"
    GREATER_THAN_OR_EQUAL = ">="
    LESS_THAN = "<"
    LESS_THAN_OR_EQUAL = "<="
    MATCHES = "matches"

    def __str__(self) -> str:
        return self.value


class SystemProperties:
    """Machine properties a precondition can test. taskmon checks them against this machine at
    ``submit()``: a job whose preconditions this machine cannot meet is refused there, with why."""

    AVAILABLE_CORES = "AvailableCores"
    TOTAL_CORES = "TotalCores"
    AVAILABLE_MEMORY = "AvailableMemory"
    """Megabytes."""
    TOTAL_MEMORY = "TotalMemory"
    """Megabytes."""
    MACHINE_NAME = "MachineName"
    OPERATING_SYSTEM = "OperatingSystem"
    PYTHON_VERSION = "PythonVersion"
