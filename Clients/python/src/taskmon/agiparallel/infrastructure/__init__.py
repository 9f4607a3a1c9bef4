"""Types that support the core of the API, one submodule per type, as in the reference
(``from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment``)."""

from taskmon.agiparallel.infrastructure.AgentSnapshot import AgentSnapshot, CoordinatorSnapshot
from taskmon.agiparallel.infrastructure.ConsumableResourceRange import ConsumableResourceRange
from taskmon.agiparallel.infrastructure.HardDiskStatus import HardDiskStatus
from taskmon.agiparallel.infrastructure.NetworkStatus import NetworkStatus
from taskmon.agiparallel.infrastructure.TaskEnvironmentDefinition import TaskEnvironmentDefinition
from taskmon.agiparallel.infrastructure.TaskEnvironmentIdentification import TaskEnvironmentIdentification
from taskmon.agiparallel.infrastructure.TaskEnvironmentMetadata import TaskEnvironmentMetadata
from taskmon.agiparallel.infrastructure.TaskMetadata import TaskMetadata
from taskmon.agiparallel.infrastructure.TaskState import TaskState
from taskmon.agiparallel.infrastructure.HostRecycleSettings import HostRecycleSettings
from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment
from taskmon.agiparallel.infrastructure.TaskPrecondition import TaskPrecondition
from taskmon.agiparallel.infrastructure.TaskProgressInformation import TaskProgressInformation

__all__ = [
    "AgentSnapshot", "CoordinatorSnapshot", "ConsumableResourceRange", "HardDiskStatus", "HostRecycleSettings",
    "NetworkStatus", "TaskEnvironment", "TaskEnvironmentDefinition", "TaskEnvironmentIdentification",
    "TaskEnvironmentMetadata", "TaskMetadata", "TaskPrecondition", "TaskProgressInformation", "TaskState",
]
