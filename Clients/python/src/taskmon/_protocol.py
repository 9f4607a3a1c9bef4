"""The scheduler's protocol: JSON-RPC 2.0, one JSON object a line, over its Unix socket.

A connection opens with ``hello`` carrying the protocol version; then requests (``submit``,
``get_job``, ``get_task``, ``read_output``, ``cancel``, ...) each get one answer with the same
id. A connection that sent ``subscribe`` also receives notifications (``event``, ``resync``).
The same messages as ``SchedulerClient`` in ``Sources/TaskmonKit/Client/SchedulerClient.swift``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import errno
import json
import socket
import threading
import time

from taskmon.errors import (
    ProtocolError, SchedulerConnectionError, SchedulerError, SchedulerNotRunningError, SchedulerTimeoutError,
)

__all__ = ["PROTOCOL_VERSION", "Connection", "Subscription", "MAX_SOCKET_PATH"]

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 64 << 20
MAX_SOCKET_PATH = 107  # sun_path holds 108 bytes with the terminating NUL
_READ_CHUNK = 1 << 16

_REASONS: Dict[Optional[int], str] = {
    errno.ENOENT: "no such file",
    errno.ENOTDIR: "no such folder",
    errno.ECONNREFUSED: "connection refused",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTSOCK: "not a socket",
}


def not_running_message(socket_path: str, reason: str) -> str:
    return ("no scheduler is running at %s (%s); start one with `taskmon serve` "
            "(or pass state_dir=/set TASKMON_STATE_DIR to reach another)" % (socket_path, reason))


class _LineSocket:
    """A connected Unix socket read and written as lines."""

    def __init__(self, path: str):
        encoded = path.encode()
        if len(encoded) > MAX_SOCKET_PATH:
            raise SchedulerNotRunningError(not_running_message(
                path, "the path is %d bytes long; Unix sockets allow %d" % (len(encoded), MAX_SOCKET_PATH)))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
        except OSError as error:
            sock.close()
            reason = _REASONS.get(error.errno, error.strerror or str(error))
            raise SchedulerNotRunningError(not_running_message(path, reason)) from None
        self.path = path
        self._sock = sock
        self._buffer = bytearray()
        self._scanned = 0
        self._closed = False

    def write_line(self, obj: Any) -> None:
        data = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"
        try:
            self._sock.settimeout(None)
            self._sock.sendall(data)
        except OSError as error:
            raise SchedulerConnectionError(self._lost(error)) from None

    def read_line(self, deadline: Optional[float] = None) -> Any:
        """The next line as a parsed JSON object; ``None`` when ``deadline`` (monotonic) passes first."""
        while True:
            newline = self._buffer.find(b"\n", self._scanned)
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                self._scanned = 0
                try:
                    return json.loads(line)
                except ValueError:
                    raise ProtocolError("cannot read a message from the scheduler: %r" % line[:200]) from None
            self._scanned = len(self._buffer)
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ProtocolError("the scheduler sent a line longer than %d bytes" % MAX_LINE_BYTES)
            if deadline is None:
                self._sock.settimeout(None)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(_READ_CHUNK)
            except socket.timeout:
                return None
            except OSError as error:
                raise SchedulerConnectionError(self._lost(error)) from None
            if not chunk:
                raise SchedulerConnectionError(
                    "lost the connection to the scheduler: " +
                    ("the connection was closed" if self._closed else "the scheduler closed the connection"))
            self._buffer += chunk

    def _lost(self, error: OSError) -> str:
        if self._closed:
            return "lost the connection to the scheduler: the connection was closed"
        return "lost the connection to the scheduler: %s" % (error.strerror or error)

    def shutdown(self) -> None:
        """Wakes a reader blocked in another thread (it then fails with SchedulerConnectionError)."""
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def close(self) -> None:
        self.shutdown()
        self._sock.close()


def _exchange(line: _LineSocket, request_id: int, method: str, params: Any, deadline: Optional[float],
              on_notification: Optional[Callable[[Any], None]] = None) -> Any:
    line.write_line({"jsonrpc": "2.0", "id": request_id, "method": method, "params": params if params is not None else {}})
    while True:
        message = line.read_line(deadline)
        if message is None:
            raise SchedulerTimeoutError("the scheduler did not answer %s in time" % method)
        if not isinstance(message, dict):
            raise ProtocolError("the scheduler sent %r, not a JSON object" % (message,))
        message_id = message.get("id")
        if message_id == request_id:
            error = message.get("error")
            if error is not None:
                raise SchedulerError(int(error.get("code", 0)), str(error.get("message", "")))
            if "result" not in message:
                raise ProtocolError("the answer to %s has neither a result nor an error" % method)
            return message["result"]
        if message_id is None and message.get("method"):
            if on_notification is not None:
                on_notification(message)
            continue
        if message_id is None and message.get("error") is not None:
            # An error about no request in particular (a refused peer, an over-long line).
            error = message["error"]
            raise SchedulerError(int(error.get("code", 0)), str(error.get("message", "")))
        # Otherwise: the answer to an earlier request that timed out.


def _greet(line: _LineSocket, client_name: str, deadline: Optional[float]) -> Dict[str, Any]:
    hello = _exchange(line, 0, "hello", {"version": PROTOCOL_VERSION, "client": client_name}, deadline)
    if hello.get("version") != PROTOCOL_VERSION:
        raise ProtocolError("the scheduler speaks protocol version %s; this client speaks %d"
                            % (hello.get("version"), PROTOCOL_VERSION))
    return dict(hello)


def _deadline(timeout: Optional[float]) -> Optional[float]:
    return None if timeout is None else time.monotonic() + timeout


class Connection:
    """A request connection to one scheduler. Thread-safe: calls are served one at a time."""

    def __init__(self, socket_path: str, client_name: str = "taskmon-python", timeout: Optional[float] = 120.0):
        self.socket_path = socket_path
        self.client_name = client_name
        self.timeout = timeout
        self._line = _LineSocket(socket_path)
        try:
            self.hello = _greet(self._line, client_name, _deadline(timeout))
        except BaseException:
            self._line.close()
            raise
        self._lock = threading.Lock()
        self._next_id = 1

    def call(self, method: str, params: Any = None, timeout: Optional[float] = -1) -> Any:
        """Sends one request and returns its result; raises SchedulerError when the answer is an error.

        ``timeout`` in seconds (``None``: wait for ever); by default the connection's.
        """
        with self._lock:
            request_id = self._next_id
            self._next_id += 1
            return _exchange(self._line, request_id, method, params,
                             _deadline(self.timeout if timeout == -1 else timeout))

    def close(self) -> None:
        self._line.close()


class Subscription:
    """A connection dedicated to events: ``hello``, ``subscribe``, then notifications."""

    def __init__(self, socket_path: str, after_seq: Optional[int] = None, client_name: str = "taskmon-python",
                 timeout: Optional[float] = 120.0):
        self._line = _LineSocket(socket_path)
        self._early: List[Any] = []
        try:
            deadline = _deadline(timeout)
            _greet(self._line, client_name, deadline)
            answer = _exchange(self._line, 1, "subscribe", {"after_seq": after_seq}, deadline,
                               on_notification=self._early.append)
        except BaseException:
            self._line.close()
            raise
        self.last_seq = answer.get("last_seq")

    def next(self, timeout: Optional[float] = None) -> Any:
        """The next notification (``{"method": "event", "params": {...}}``), or ``None`` on timeout."""
        if self._early:
            return self._early.pop(0)
        while True:
            message = self._line.read_line(_deadline(timeout))
            if message is None:
                return None
            if isinstance(message, dict) and message.get("id") is None and message.get("method"):
                return message
            if isinstance(message, dict) and message.get("error") is not None:
                error = message["error"]
                raise SchedulerError(int(error.get("code", 0)), str(error.get("message", "")))

    def shutdown(self) -> None:
        """Wakes a ``next()`` blocked in another thread: it raises SchedulerConnectionError."""
        self._line.shutdown()

    def close(self) -> None:
        self._line.close()
