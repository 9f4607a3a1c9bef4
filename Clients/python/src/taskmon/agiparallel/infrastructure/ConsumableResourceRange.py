"""A range of a consumable resource (cores, memory) a task asks for."""

from __future__ import annotations

from typing import Optional

__all__ = ["ConsumableResourceRange"]


class ConsumableResourceRange:
    """``minimum`` to ``maximum`` (None: no upper bound) of a resource named by a
    ``ConsumableResources`` constant."""

    def __init__(self, name: str, minimum: float = 0, maximum: Optional[float] = None) -> None:
        if maximum is not None and maximum < minimum:
            raise ValueError("a resource range's maximum (%r) is below its minimum (%r)" % (maximum, minimum))
        self.name = name
        self.minimum = minimum
        self.maximum = maximum

    def __repr__(self) -> str:
        return "ConsumableResourceRange(%r, %r, %r)" % (self.name, self.minimum, self.maximum)
