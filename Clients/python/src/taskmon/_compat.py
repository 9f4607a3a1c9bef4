"""Values that join onto a str with ``+``, as the reference's own examples expect.

The reference's page on task results writes ``"Exception is " + job.tasks[0].result`` (a
failed task's result is an exception) and ``"Property1: " + job.tasks[0].properties["Property1"]``
(an int). In plain Python both raise TypeError. So that such code runs unchanged, the client
hands back

- int and float property values as :class:`PropertyInt` / :class:`PropertyFloat`: true int and
  float subclasses (equal, hashable, printable, JSON-able like the numbers) that also support
  ``str + value``;
- an exception result as an instance of a subclass of its own type that does the same (named
  like its type, so ``isinstance``, ``except``, ``repr`` and pickling behave as the original's;
  only ``type(result) is ValueError`` tells them apart).

``str + value`` gives ``str + str(value)``; nothing else changes.
"""

from __future__ import annotations

from typing import Any, Dict, TypeVar

_X = TypeVar("_X", bound=BaseException)

import threading

__all__ = ["PropertyInt", "PropertyFloat", "joinable_exception", "original_type"]


class _JoinsOntoStr:
    __slots__ = ()

    def __radd__(self, other: object) -> Any:
        if isinstance(other, str):
            return other + str(self)
        return NotImplemented


class PropertyInt(_JoinsOntoStr, int):
    """An int property value; also ``"text" + value``."""

    __slots__ = ()

    def __reduce__(self) -> Any:
        return (int, (int(self),))


class PropertyFloat(_JoinsOntoStr, float):
    """A float property value; also ``"text" + value``."""

    __slots__ = ()

    def __reduce__(self) -> Any:
        return (float, (float(self),))


_SUBCLASSES: Dict[type, type] = {}
_LOCK = threading.Lock()
_MARK = "_taskmon_original_type"


def _exception_reduce(self: BaseException) -> Any:
    reduced = super(type(self), self).__reduce__()
    return (getattr(type(self), _MARK),) + tuple(reduced[1:])


def _joinable_type(cls: type) -> type:
    with _LOCK:
        sub = _SUBCLASSES.get(cls)
        if sub is None:
            namespace = {
                "__module__": cls.__module__,
                "__qualname__": getattr(cls, "__qualname__", cls.__name__),
                "__doc__": cls.__doc__,
                "__radd__": _JoinsOntoStr.__radd__,
                "__reduce__": _exception_reduce,
                _MARK: cls,
            }
            sub = type(cls)(cls.__name__, (cls,), namespace)
            _SUBCLASSES[cls] = sub
        return sub


def original_type(exc: BaseException) -> type:
    """The exception's own type, also for one made joinable here."""
    return getattr(type(exc), _MARK, type(exc))


def joinable_exception(exc: _X) -> _X:
    """``exc`` as an instance of a subclass of its type that supports ``"text" + exc``.

    Returns ``exc`` itself when its type cannot be subclassed or copied.
    """
    cls = type(exc)
    if hasattr(cls, _MARK) or hasattr(cls, "__radd__"):
        return exc
    try:
        sub = _joinable_type(cls)
        copy = sub.__new__(sub, *exc.args)
        copy.args = exc.args
        state = getattr(exc, "__dict__", None)
        if state:
            copy.__dict__.update(state)
        copy.__cause__ = exc.__cause__
        copy.__context__ = exc.__context__
        copy.__suppress_context__ = exc.__suppress_context__
        copy.__traceback__ = exc.__traceback__
        return copy  # type: ignore[no-any-return]
    except Exception:
        return exc
