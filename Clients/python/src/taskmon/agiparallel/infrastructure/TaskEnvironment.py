"""The task environment: code a host runs once before its tasks (``setup()``) and once when it is
recycled (``teardown()``), in the host process, with state the tasks reach through
``self.get_property(TaskProperties.ENVIRONMENT)``."""

from __future__ import annotations

import uuid
from typing import Optional

from taskmon.agiparallel.infrastructure.TaskEnvironmentIdentification import TaskEnvironmentIdentification

__all__ = ["TaskEnvironment"]


class TaskEnvironment:
    """Subclass it and override :meth:`setup` / :meth:`teardown`.

    :ivar unique_id: hosts are kept warm and reused by later jobs whose environment has the same
        id (the reference's "Optimize Task Setup Time"): give it a constant to share them; each
        instance gets a fresh one otherwise, so its hosts serve its own job only.
    :ivar additional_id: a second part of the identification (a version of the environment's
        code, say): hosts are shared only when both ids are equal.
    :ivar working_directory: the folder the host runs in (``os.chdir`` before ``setup()``);
        None: the submitting program's current directory.
    :ivar host_idle_timeout: seconds a warm host of this environment waits for another task
        before it is recycled (None: 2 s without a shared ``unique_id``, 300 s with one).
    """

    def __init__(self) -> None:
        self.unique_id: str = str(uuid.uuid4())
        self.additional_id: Optional[str] = None
        self.working_directory: Optional[str] = None
        self.host_idle_timeout: Optional[float] = None

    @property
    def identification(self) -> TaskEnvironmentIdentification:
        """``unique_id`` and ``additional_id`` together: what hosts are matched on."""
        return TaskEnvironmentIdentification(self.unique_id, getattr(self, "additional_id", None))

    def setup(self) -> None:
        """Called once in each host before its first task."""

    def teardown(self) -> None:
        """Called once when the host is recycled (after its last task)."""
