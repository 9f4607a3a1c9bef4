"""What ``get_coordinator_snapshot()`` returns: the one agent taskmon has (this machine)."""

from __future__ import annotations

import datetime
import os
import socket
from typing import Dict, List, Optional

from taskmon.agiparallel.infrastructure.HardDiskStatus import HardDiskStatus
from taskmon.agiparallel.infrastructure.NetworkStatus import NetworkStatus

__all__ = ["AgentSnapshot", "CoordinatorSnapshot"]


class AgentSnapshot:
    """The state of an agent: here, the machine the scheduler runs on."""

    def __init__(self, capacity: int, running: int, state_dir: str, date_started: Optional[datetime.datetime] = None) -> None:
        self.id = socket.gethostname()
        self.machine_name = socket.gethostname()
        self.description = "taskmon scheduler on %s (state dir %s)" % (self.machine_name, state_dir)
        self.capacity = capacity
        """The number of hosts that can run at once (the scheduler's slots)."""
        self.running_tasks = running
        self.activity = "running %d task(s)" % running if running else "idle"
        self.cpu_speed = 0
        self.current_cpu_usage = 0
        self.number_of_cores = os.cpu_count() or 1
        self.is_enabled = True
        self.is_registered = True
        self.date_started = date_started
        self.hard_disk = HardDiskStatus(state_dir or "/")
        self.network = NetworkStatus()
        self.host_pool: List[str] = []
        """Hosts of this agent: not listed here (``taskmon show JOB/TASK`` names a task's host)."""

    def __repr__(self) -> str:
        return "<AgentSnapshot %s: %d/%d busy>" % (self.machine_name, self.running_tasks, self.capacity)


class CoordinatorSnapshot:
    """The scheduler's state: its agents (one), queued tasks and jobs, counts by status."""

    def __init__(self, agents: List[AgentSnapshot], queued_tasks: int, jobs: int, status_counts: Dict[str, int]) -> None:
        self.agents = agents
        self.queued_tasks = queued_tasks
        self.jobs = jobs
        self.status_counts = status_counts

    def __repr__(self) -> str:
        return "<CoordinatorSnapshot %d agent(s), %d queued, %d job(s)>" % (len(self.agents), self.queued_tasks, self.jobs)
