"""The reference scheduler's Python API (STK Parallel Computing Server's ``agiparallel``), on taskmon.

A program written for the reference runs after ``agiparallel`` → ``taskmon.agiparallel`` in its
import lines and nothing else::

    from taskmon.agiparallel.client import ClusterJobScheduler
    from taskmon.agiparallel.constants import TaskStatus, TaskProperties
    from taskmon.agiparallel.infrastructure.TaskEnvironment import TaskEnvironment

Same layout as the reference: :mod:`.client` (the scheduler and jobs), :mod:`.constants`
(enumerations and names) and :mod:`.infrastructure` with one submodule per type. It runs on the
same core as the native :mod:`taskmon.client`; what cannot mean anything on one machine
(agent selection, SSL) is accepted, documented in the Python client's README, and never
ignored silently where it would change an outcome.
"""

from taskmon import __version__

__all__ = ["__version__"]
