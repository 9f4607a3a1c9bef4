"""A condition a machine must meet before a task of the job is given to it."""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
from typing import Any, Dict, Optional, Union

from taskmon.agiparallel.constants import CommonResources, Operator

__all__ = ["TaskPrecondition", "machine_value"]

Value = Union[str, int, float]
#: Preconditions on these, compared with >, >= or ==, are reservations (see ``CommonResources``).
RESERVED = {CommonResources.AVAILABLE_CORES: "cores", CommonResources.AVAILABLE_MEMORY: "memory_mb"}
_RESERVING = (Operator.GREATER_THAN, Operator.GREATER_THAN_OR_EQUAL, Operator.EQUALS)


def _meminfo(field: str) -> Optional[int]:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_value(name: str) -> Optional[Value]:
    """This machine's value of a :class:`CommonResources` name (None: unknown name)."""
    if name == CommonResources.TOTAL_CORES:
        return os.cpu_count() or 1
    if name == CommonResources.AVAILABLE_CORES:
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1
    if name == CommonResources.TOTAL_MEMORY:
        return _meminfo("MemTotal")
    if name == CommonResources.AVAILABLE_MEMORY:
        return _meminfo("MemAvailable")
    if name == CommonResources.HOSTNAME:
        return socket.gethostname()
    if name == CommonResources.OPERATING_SYSTEM:
        return platform.system()
    if name == CommonResources.PYTHON_VERSION:
        return "%d.%d.%d" % sys.version_info[:3]
    return None


class TaskPrecondition:
    """``TaskPrecondition(CommonResources.AVAILABLE_CORES, Operator.GREATER_THAN_OR_EQUAL, 4)``."""

    def __init__(self, resource: str, operation: Union[Operator, str] = Operator.EQUALS, resource_value: Any = None) -> None:
        if not isinstance(resource, str) or not resource:
            raise TypeError("a precondition needs a resource name (a CommonResources constant)")
        try:
            self.operation = Operator(operation)
        except ValueError:
            known = ", ".join(o.name for o in Operator)
            raise ValueError("unknown operation %r; use an Operator: %s" % (operation, known)) from None
        if self.operation in (Operator.MEMBER_OF, Operator.NOT_MEMBER_OF) and (
                isinstance(resource_value, (str, bytes)) or not hasattr(resource_value, "__iter__")):
            raise TypeError("%s needs a list of values, not %r" % (self.operation.name, resource_value))
        self.resource = resource
        self.resource_value = resource_value

    def __repr__(self) -> str:
        return "TaskPrecondition(%r, %s, %r)" % (self.resource, self.operation.name, self.resource_value)

    def reservation(self) -> Optional[Dict[str, int]]:
        """What each task reserves for it (``{"cores": 2}``), when it is a reservation; else None.

        :raises ValueError: a reservation that is not a positive whole amount."""
        field = RESERVED.get(self.resource)
        if field is None or self.operation not in _RESERVING:
            return None
        value = self.resource_value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ValueError("%s %s needs a number, not %r" % (self.resource, self.operation.value, value))
        amount = int(value) + 1 if self.operation is Operator.GREATER_THAN else -(-value // 1)
        if amount < 1:
            amount = 1  # "more than 0 free": one core, the least a task takes anyway
        return {field: int(amount)}

    def problem(self) -> Optional[str]:
        """Why this machine does not meet it, or None when it does (or when it is a reservation,
        which the scheduler decides)."""
        if self.reservation() is not None:
            return None
        have = machine_value(self.resource)
        if have is None:
            known = ", ".join(sorted(k for k in vars(CommonResources) if k.isupper()))
            return "unknown machine resource %r (use a CommonResources name: %s)" % (self.resource, known)
        want = self.resource_value
        try:
            if self.operation is Operator.MATCHES:
                ok = re.search(str(want), str(have)) is not None
            elif self.operation in (Operator.MEMBER_OF, Operator.NOT_MEMBER_OF):
                member = any(_compare(have, Operator.EQUALS, _like(have, item)) for item in want)
                ok = member if self.operation is Operator.MEMBER_OF else not member
            else:
                ok = _compare(have, self.operation, _like(have, want))
        except (TypeError, ValueError, re.error) as error:
            return "%s %s %r cannot be compared: %s" % (self.resource, self.operation.value, want, error)
        if ok:
            return None
        return "this machine's %s is %r, and the job asks for %s %r" % (self.resource, have, self.operation.value, want)


def _like(have: Any, want: Any) -> Any:
    """``want`` as a number when the machine's value is one."""
    if isinstance(have, (int, float)) and not isinstance(want, (int, float)):
        return float(want)
    return want


def _compare(have: Any, operator: Operator, want: Any) -> bool:
    if operator is Operator.EQUALS:
        return bool(have == want)
    if operator is Operator.NOT_EQUALS:
        return bool(have != want)
    if operator is Operator.GREATER_THAN:
        return bool(have > want)
    if operator is Operator.GREATER_THAN_OR_EQUAL:
        return bool(have >= want)
    if operator is Operator.LESS_THAN:
        return bool(have < want)
    return bool(have <= want)
