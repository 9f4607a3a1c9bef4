"""When host processes are recycled."""

from __future__ import annotations

from typing import Optional

__all__ = ["HostRecycleSettings"]


class HostRecycleSettings:
    """taskmon recycles a host when one of its tasks fails, times out or is canceled, and when it
    has been idle for ``idle_timeout`` seconds (its environment's ``host_idle_timeout``)."""

    def __init__(self, idle_timeout: Optional[float] = None) -> None:
        self.idle_timeout = idle_timeout
