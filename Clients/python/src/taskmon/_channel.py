"""Writes a task's records to its channel file (``$TASKMON_CHANNEL``), as the scheduler reads them.

One JSON object a line (see ``ChannelRecord`` in ``Sources/TaskmonKit/TaskChannel.swift``)::

    {"property": {"name": "Frames", "int": 100}}
    {"result": {"display": "...", "type": "...", "encoding": "pickle", "data": "<base64>"}}
    {"progress": {"percent": 40, "info": "4 of 10"}}
    {"exception": {"type": "ValueError", "message": "...", "trace": "..."}}

Each line is appended with one ``write`` on an ``O_APPEND`` descriptor, so lines never interleave.
Standard library only.
"""

from __future__ import annotations

import base64
import json
import math
import os
from typing import Any, Dict, Optional, Union

__all__ = ["Channel", "encode_property", "INT64_MIN", "INT64_MAX"]

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


def encode_property(name: str, value: Any) -> Dict[str, Any]:
    """Checks a property and returns its channel record body (``{"name": ..., "int": ...}``).

    Values are limited to str, int, float and bytes, as in the reference. ``bool`` is an int in
    Python and is kept as the int 1 or 0; ``bytearray`` counts as bytes. Anything else raises
    ``TypeError``; an int outside 64 bits or a NaN/infinite float raises ``ValueError``.
    """
    if not isinstance(name, str):
        raise TypeError("a property name must be a str, not %s" % type(name).__name__)
    if not name:
        raise ValueError("a property name must not be empty")
    if isinstance(value, str):
        return {"name": name, "string": value}
    if isinstance(value, int):
        number = int(value)
        if not INT64_MIN <= number <= INT64_MAX:
            raise ValueError("property %r: %d does not fit in a 64-bit integer" % (name, number))
        return {"name": name, "int": number}
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("property %r: %r is not a finite float" % (name, value))
        return {"name": name, "float": float(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"name": name, "bytes": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(
        "property %r: values must be str, int, float or bytes, not %s" % (name, type(value).__name__))


class Channel:
    """The task's channel file."""

    def __init__(self, path: str):
        self.path = path

    def append(self, record: Dict[str, Any]) -> None:
        """Appends one record as one line."""
        line = (json.dumps(record, ensure_ascii=False, allow_nan=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)

    def property(self, name: str, value: Any) -> None:
        self.append({"property": encode_property(name, value)})

    def progress(self, percent: int, info: Optional[Union[str, int, float]] = None) -> None:
        body: Dict[str, Any] = {"percent": percent}
        if info is not None:
            body["info"] = info
        self.append({"progress": body})

    def result(self, display: str, type_name: str, encoding: str, data: str) -> None:
        self.append({"result": {"display": display, "type": type_name, "encoding": encoding, "data": data}})

    def exception(self, type_name: str, message: str, trace: str) -> None:
        self.append({"exception": {"type": type_name, "message": message, "trace": trace}})
