"""Types that support the core of the API, one submodule per type, as in the reference
(``from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment``)."""

from taskmon.agiparallel.infrastructure.AgentSnapshot import AgentSnapshot, CoordinatorSnapshot
from taskmon.agiparallel.infrastructure.HostRecycleSettings import HostRecycleSettings
from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment
from taskmon.agiparallel.infrastructure.TaskPrecondition import TaskPrecondition
from taskmon.agiparallel.infrastructure.TaskProgressInformation import TaskProgressInformation

__all__ = [
    "AgentSnapshot", "CoordinatorSnapshot", "HostRecycleSettings", "TaskEnvironment", "TaskPrecondition",
    "TaskProgressInformation",
]
