"""A condition a machine must meet before a task of the job is given to it."""

from __future__ import annotations

import os
import platform
import re
import socket
import sys
from typing import Any, Optional, Union

from taskmon.agiparallel.constants import PreconditionOperator, SystemProperties

__all__ = ["TaskPrecondition", "machine_value"]

Value = Union[str, int, float]


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
    """This machine's value of a :class:`SystemProperties` name (None: unknown name)."""
    if name == SystemProperties.TOTAL_CORES:
        return os.cpu_count() or 1
    if name == SystemProperties.AVAILABLE_CORES:
        try:
            return len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            return os.cpu_count() or 1
    if name == SystemProperties.TOTAL_MEMORY:
        return _meminfo("MemTotal")
    if name == SystemProperties.AVAILABLE_MEMORY:
        return _meminfo("MemAvailable")
    if name == SystemProperties.MACHINE_NAME:
        return socket.gethostname()
    if name == SystemProperties.OPERATING_SYSTEM:
        return platform.system()
    if name == SystemProperties.PYTHON_VERSION:
        return "%d.%d.%d" % sys.version_info[:3]
    return None


class TaskPrecondition:
    """``TaskPrecondition(SystemProperties.AVAILABLE_CORES, PreconditionOperator.GREATER_THAN_OR_EQUAL, 4)``."""

    def __init__(self, name: str, operator: Union[PreconditionOperator, str] = PreconditionOperator.EQUALS,
                 value: Any = None) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError("a precondition needs a property name (a SystemProperties constant)")
        self.name = name
        self.operator = PreconditionOperator(operator)
        self.value = value

    def __repr__(self) -> str:
        return "TaskPrecondition(%r, %s, %r)" % (self.name, self.operator.name, self.value)

    def problem(self) -> Optional[str]:
        """Why this machine does not meet it, or None when it does."""
        have = machine_value(self.name)
        if have is None:
            known = ", ".join(sorted(k for k in vars(SystemProperties) if k.isupper()))
            return "unknown machine property %r (use a SystemProperties name: %s)" % (self.name, known)
        want = self.value
        try:
            if self.operator is PreconditionOperator.MATCHES:
                ok = re.search(str(want), str(have)) is not None
            elif isinstance(have, (int, float)) and not isinstance(want, (int, float)):
                ok = _compare(have, self.operator, float(want))
            else:
                ok = _compare(have, self.operator, want)
        except (TypeError, ValueError, re.error) as error:
            return "%s %s %r cannot be compared: %s" % (self.name, self.operator.value, want, error)
        if ok:
            return None
        return "this machine's %s is %r, and the job asks for %s %r" % (self.name, have, self.operator.value, want)


def _compare(have: Any, operator: PreconditionOperator, want: Any) -> bool:
    if operator is PreconditionOperator.EQUALS:
        return bool(have == want)
    if operator is PreconditionOperator.NOT_EQUALS:
        return bool(have != want)
    if operator is PreconditionOperator.GREATER_THAN:
        return bool(have > want)
    if operator is PreconditionOperator.GREATER_THAN_OR_EQUAL:
        return bool(have >= want)
    if operator is PreconditionOperator.LESS_THAN:
        return bool(have < want)
    return bool(have <= want)
