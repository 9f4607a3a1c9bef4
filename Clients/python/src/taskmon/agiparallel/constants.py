"""Constants and enumerations, as the reference's ``agiparallel.constants`` names them."""

from __future__ import annotations

import enum

from taskmon.status import JobPriority, TaskCancellationReason, TaskStatus, _NamedIntEnum

__all__ = [
    "TaskStatus", "TaskCancellationReason", "JobPriority", "TaskProperties", "AgentSelectionType",
    "Operator", "CommonResources", "ConsumableResources",
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


class Operator(str, enum.Enum):
    """How a task precondition compares a machine's resource with the value the job gives."""

    EQUALS = "=="
    NOT_EQUALS = "!="
    GREATER_THAN = ">"
    GREATER_THAN_OR_EQUAL = ">="
    LESS_THAN = "<"
    LESS_THAN_OR_EQUAL = "<="
    MATCHES = "matches"
    """The value is a regular expression the machine's value must contain a match of."""
    MEMBER_OF = "member_of"
    """The value is a list; the machine's value must be one of its items."""
    NOT_MEMBER_OF = "not_member_of"

    def __str__(self) -> str:
        return self.value


class CommonResources:
    """The resources a task precondition names most often (``job.add_task_preconditions(
    resource=CommonResources.AVAILABLE_CORES, operation=Operator.GREATER_THAN, resource_value=0)``).

    ``AVAILABLE_CORES`` and ``AVAILABLE_MEMORY`` (megabytes) compared with ``>``, ``>=`` or ``==``
    are reserved for each task of the job while it runs: the scheduler starts a task once that
    many of its slots (one a core) and megabytes are free, and refuses at ``submit()`` a job that
    could never get them. Every other precondition is checked against this machine at
    ``submit()``, which refuses a job this machine does not meet, saying which value fails."""

    HOSTNAME = "Hostname"
    AVAILABLE_CORES = "AvailableCores"
    TOTAL_CORES = "TotalCores"
    AVAILABLE_MEMORY = "AvailableMemory"
    """Megabytes."""
    TOTAL_MEMORY = "TotalMemory"
    """Megabytes."""
    OPERATING_SYSTEM = "OperatingSystem"
    PYTHON_VERSION = "PythonVersion"


class ConsumableResources:
    """What a task consumes while it runs (``task.requested_task_resources = {ConsumableResources.CORES: 2}``).

    ``CORES`` takes that many of the scheduler's slots (one a core; 1 by default); ``MEMORY`` and
    ``ESTIMATED_MEMORY_BUDGET`` (megabytes; one machine has one budget, so the larger counts) are
    reserved against the scheduler's memory. On Slurm they are ``--cpus-per-task`` and ``--mem``."""

    CORES = "Cores"
    MEMORY = "Memory"
    ESTIMATED_MEMORY_BUDGET = "EstimatedMemoryBudget"
