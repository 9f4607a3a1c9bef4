"""What crosses between the client and the task host: payload files and pickled values.

A payload file holds two pickles one after the other: a small header (plain pickle of a dict
of builtins: format version, the client's Python version, the folders to add to ``sys.path``)
and then the object itself, pickled with cloudpickle. cloudpickle pickles classes and functions
of the user's own script (``__main__``) by value, so the host, which cannot import that script,
gets them whole; classes of importable modules travel by reference as with pickle.

Values coming back (a result, an exception) are cloudpickled too, and base64-encoded into the
channel's result record; one larger than ``INLINE_LIMIT`` goes to a file beside the payloads
instead (encoding ``pickle-file``), to keep the scheduler's database lean.
"""

from __future__ import annotations

from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Tuple

import base64
import io
import os
import pickle
import sys
import types
from collections import ChainMap

import cloudpickle

__all__ = [
    "FORMAT_VERSION", "INLINE_LIMIT", "dumps", "write_payload", "read_payload", "dump_value", "encode_value",
    "decode_value", "type_name", "display_text", "write_atomically",
]

FORMAT_VERSION = 1
INLINE_LIMIT = 1 << 20
DISPLAY_LIMIT = 2000


_CLOUDPICKLE_CODE_REDUCE = cloudpickle.Pickler.dispatch_table[types.CodeType]
_DYNAMIC_CODE = "<dynamic-code>"


def _code_reduce(code: types.CodeType) -> Any:
    """cloudpickle's reduction of a code object, with the code's real file name kept.

    cloudpickle 3.1 writes ``<dynamic-code>`` instead (for deterministic pickles); a task's
    traceback would then show neither the user's file nor its source lines.
    """
    reduced = _CLOUDPICKLE_CODE_REDUCE(code)
    args = reduced[1]
    if _DYNAMIC_CODE in args:
        args = tuple(code.co_filename if isinstance(a, str) and a == _DYNAMIC_CODE else a for a in args)
        reduced = (reduced[0], args) + tuple(reduced[2:])
    return reduced


class _Pickler(cloudpickle.Pickler):  # type: ignore[misc]
    dispatch_table = ChainMap({types.CodeType: _code_reduce}, cloudpickle.Pickler.dispatch_table)


def dumps(obj: Any) -> bytes:
    """``cloudpickle.dumps``, keeping the file names of code pickled by value."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(obj)
    return buffer.getvalue()


def _python_version() -> str:
    return "%d.%d" % sys.version_info[:2]


def write_atomically(path: str, data: bytes) -> None:
    """Writes a file whole or not at all (a temp file renamed into place)."""
    folder = os.path.dirname(path) or "."
    import tempfile  # the client's and a failed setup's: a host does not load it before its first task
    fd, temp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise


def write_payload(path: str, obj: Any, sys_path: Iterable[str] = ()) -> int:
    """Pickles ``obj`` (with cloudpickle) into a payload file; returns its size.

    Raises whatever pickling raises (``TypeError``, ``pickle.PicklingError``, ...).
    """
    header = {"format": FORMAT_VERSION, "python": _python_version(), "sys_path": list(sys_path)}
    data = pickle.dumps(header) + dumps(obj)
    write_atomically(path, data)
    return len(data)


def _read_header(f: IO[bytes], path: str, formats: Tuple[int, ...]) -> Dict[str, Any]:
    header = pickle.load(f)
    if not isinstance(header, dict) or header.get("format") not in formats:
        raise ValueError("%s is not a taskmon payload of format %s" % (path, " or ".join(map(str, formats))))
    for folder in reversed(header.get("sys_path", [])):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    return header


def _unpickling(header: Dict[str, Any], load: Callable[[], Any]) -> Any:
    """``load()``, with errors that say what to do: a module the host cannot import, another Python."""
    try:
        return load()
    except ImportError as error:
        module = getattr(error, "name", None) or "?"
        raise ImportError(
            "the host cannot import module %r to unpickle the task (%s). Ship it with the task: call "
            "cloudpickle.register_pickle_by_value(%s) before submit(), or make it importable where the "
            "tasks run (PYTHONPATH, pip install)" % (module, error, module.split(".")[0]), name=module) from error
    except Exception as error:
        if header.get("python") != _python_version():
            raise RuntimeError(
                "cannot unpickle the payload (%s: %s); it was written by Python %s and this host runs "
                "Python %s: classes and functions pickled by value need the same Python version"
                % (type(error).__name__, error, header.get("python"), _python_version())) from error
        raise


def read_payload(path: str) -> Any:
    """Reads a payload: a file of one object, or ``BUNDLE#INDEX``, one task of a job's bundle
    (see :func:`write_bundle`). Puts the payload's folders on ``sys.path`` first."""
    base, mark, index = path.rpartition("#")
    if mark and index.isdigit():
        return _read_bundled(base, int(index))
    with open(path, "rb") as f:
        header = _read_header(f, path, (FORMAT_VERSION,))
        return _unpickling(header, lambda: pickle.load(f))


# -- bundles: all the tasks of a job in one file ------------------------------------------------------

BUNDLE_FORMAT = 2
_BUNDLE_CACHE: Dict[str, Tuple[Dict[str, Any], List[Any], List[bytes]]] = {}
_BUNDLE_CACHE_SIZE = 2


def _by_value(obj: Any) -> bool:
    """True for a class or function cloudpickle pickles by value (one of the user's script's)."""
    if not isinstance(obj, (type, types.FunctionType)):
        return False
    try:
        return not cloudpickle.cloudpickle._should_pickle_by_reference(obj)
    except Exception:
        return False


def write_bundle(path: str, objects: Iterable[Any], sys_path: Iterable[str] = ()) -> int:
    """Pickles a job's task objects into one file; returns its size.

    Each task is its own pickle (a host unpickles it afresh, so tasks never share objects), but
    the classes and functions they pickle by value are pickled once, for all of them: a job of
    many tasks of one class costs one class definition, not one per task, and one file, not one
    per task. Raises ``(index, error)`` as :class:`BundleError` when a task cannot be pickled.
    """
    definitions: List[Any] = []
    ids: Dict[int, int] = {}

    class TaskPickler(_Pickler):
        def persistent_id(self, obj: Any) -> Optional[int]:
            if _by_value(obj):
                key = id(obj)
                if key not in ids:
                    ids[key] = len(definitions)
                    definitions.append(obj)
                return ids[key]
            return None

    blobs: List[bytes] = []
    for index, obj in enumerate(objects):
        buffer = io.BytesIO()
        try:
            TaskPickler(buffer, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(obj)
        except Exception as error:
            raise BundleError(index, error) from error
        blobs.append(buffer.getvalue())
    header = {"format": BUNDLE_FORMAT, "python": _python_version(), "sys_path": list(sys_path), "count": len(blobs)}
    data = pickle.dumps(header) + pickle.dumps(dumps(definitions)) + pickle.dumps(blobs, protocol=pickle.HIGHEST_PROTOCOL)
    write_atomically(path, data)
    return len(data)


class BundleError(Exception):
    """Task ``index`` of a bundle cannot be pickled (``error`` says why)."""

    def __init__(self, index: int, error: Exception):
        super().__init__("task %d: %s: %s" % (index, type(error).__name__, error))
        self.index = index
        self.error = error


def _read_bundled(path: str, index: int) -> Any:
    entry = _BUNDLE_CACHE.get(path)
    if entry is None:
        with open(path, "rb") as f:
            header = _read_header(f, path, (BUNDLE_FORMAT,))
            definitions_data = pickle.load(f)
            blobs = pickle.load(f)
        definitions = _unpickling(header, lambda: pickle.loads(definitions_data))
        entry = (header, definitions, blobs)
        while len(_BUNDLE_CACHE) >= _BUNDLE_CACHE_SIZE:
            _BUNDLE_CACHE.pop(next(iter(_BUNDLE_CACHE)))
        _BUNDLE_CACHE[path] = entry
    header, definitions, blobs = entry
    if not 0 <= index < len(blobs):
        raise ValueError("%s holds %d task(s); there is no task %d" % (path, len(blobs), index))
    unpickler = pickle.Unpickler(io.BytesIO(blobs[index]))
    unpickler.persistent_load = definitions.__getitem__  # type: ignore[method-assign]
    return _unpickling(header, unpickler.load)


def dump_value(value: Any) -> bytes:
    """Pickles a value that must come back to the client, and checks that it loads again."""
    data = dumps(value)
    pickle.loads(data)
    return data


def encode_value(data: bytes, spill_path: str) -> Tuple[str, str]:
    """``(encoding, data)`` for a result record: base64 inline, or a file when large."""
    if len(data) <= INLINE_LIMIT:
        return "pickle", base64.b64encode(data).decode("ascii")
    write_atomically(spill_path, data)
    return "pickle-file", spill_path


def decode_value(encoding: str, data: Any) -> Any:
    """The value of a result record: unpickled for ``pickle``/``pickle-file``, else as given."""
    if encoding == "pickle":
        return pickle.loads(base64.b64decode(data))
    if encoding == "pickle-file":
        with open(data, "rb") as f:
            return pickle.load(f)
    if encoding == "json":
        import json
        return json.loads(data)
    return data


def type_name(obj: Any) -> str:
    """``ValueError``, ``mymodule.MyResult``: the type's qualified name, with its module unless builtin."""
    cls = type(obj)
    module = getattr(cls, "__module__", None)
    name = getattr(cls, "__qualname__", cls.__name__)
    return name if module in (None, "builtins") else "%s.%s" % (module, name)


def display_text(value: Any, limit: int = DISPLAY_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters, for people (the monitor's Result tab)."""
    try:
        text = repr(value)
    except Exception as error:  # a broken __repr__ must not fail the task
        text = "<%s object; repr() raised %s>" % (type_name(value), type(error).__name__)
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text
