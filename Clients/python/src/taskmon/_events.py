"""Event hooks of a job, and the thread that delivers the scheduler's events to them."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

_H = TypeVar("_H", bound=Callable[..., Any])

import logging
import threading

from taskmon._protocol import Subscription
from taskmon.errors import SchedulerConnectionError, TaskmonError

__all__ = ["EventHook", "HookAttribute", "EventListener"]

log = logging.getLogger("taskmon")


class EventHook:
    """A list of handlers called when something happens.

    Add a handler with ``job.task_completed += handler`` (or ``.add(handler)``, which also works
    as a decorator), remove it with ``-=``; assigning a function (``job.task_completed = handler``)
    replaces the handlers with that one. A handler that raises is logged (logger ``taskmon``)
    and does not stop the others.
    """

    def __init__(self, name: str = "event"):
        self.name = name
        self._handlers: List[Callable[..., Any]] = []
        self._lock = threading.Lock()

    def add(self, handler: _H) -> _H:
        """Adds a handler; returns it, so that ``@job.task_completed.add`` decorates."""
        if not callable(handler):
            raise TypeError("a %s handler must be callable, not %s" % (self.name, type(handler).__name__))
        with self._lock:
            self._handlers.append(handler)
        return handler

    def remove(self, handler: Callable[..., Any]) -> None:
        with self._lock:
            self._handlers.remove(handler)

    def __iadd__(self, handler: Callable[..., Any]) -> "EventHook":
        self.add(handler)
        return self

    def __isub__(self, handler: Callable[..., Any]) -> "EventHook":
        self.remove(handler)
        return self

    def __len__(self) -> int:
        return len(self._handlers)

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        with self._lock:
            return iter(list(self._handlers))

    def __call__(self, *args: Any) -> None:
        """Calls every handler with ``args``."""
        for handler in self:
            try:
                handler(*args)
            except Exception:
                log.exception("taskmon: a %s handler raised", self.name)

    def __repr__(self) -> str:
        return "<EventHook %s: %d handler(s)>" % (self.name, len(self))

    @classmethod
    def of(cls, value: Any, name: str) -> "EventHook":
        """An EventHook from what was assigned: a hook, one handler, or None (no handlers)."""
        if isinstance(value, EventHook):
            return value
        hook = cls(name)
        if value is not None:
            hook.add(value)
        return hook


class HookAttribute:
    """An :class:`EventHook` attribute that also accepts ``obj.attr = handler``."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.key = "_hook_" + name

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        hook = obj.__dict__.get(self.key)
        if hook is None:
            hook = obj.__dict__[self.key] = EventHook(self.name)
        return hook

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.key] = EventHook.of(value, self.name)


class EventListener:
    """One subscription per JobScheduler, read by a daemon thread that hands each event to the
    job it concerns. Subscribed before the first submission, so no event of a job is missed."""

    def __init__(self, socket_path: str, client_name: str, timeout: Optional[float]):
        self._socket_path = socket_path
        self._client_name = client_name
        self._timeout = timeout
        self._subscription = Subscription(socket_path, None, client_name, timeout)
        # Job objects by id: a program may hold several for one job (its own and get_job's).
        self._jobs: Dict[int, List[Any]] = {}
        # Held while a job is submitted and registered, so that its first events wait for it.
        self.registration = threading.Lock()
        self.error: Optional[BaseException] = None
        self._stopping = False
        self.thread = threading.Thread(target=self._run, name="taskmon-events", daemon=True)
        self.thread.start()

    def watch(self, job: Any) -> None:
        """Delivers ``job``'s events from now on (call with ``registration`` held around a submit)."""
        followers = self._jobs.setdefault(job.id, [])
        if not any(other is job for other in followers):
            followers.append(job)

    def unwatch(self, job: Any) -> None:
        followers = [other for other in self._jobs.get(job.id, []) if other is not job]
        if followers:
            self._jobs[job.id] = followers
        else:
            self._jobs.pop(job.id, None)

    def _followers(self) -> List[Any]:
        return [job for followers in list(self._jobs.values()) for job in followers]

    @property
    def alive(self) -> bool:
        return self.error is None and not self._stopping

    def stop(self) -> None:
        """Stops delivering events; a wait on one of the jobs fails with SchedulerConnectionError."""
        self._stopping = True
        self._subscription.shutdown()
        if threading.current_thread() is not self.thread:
            self.thread.join(5)
        self._subscription.close()
        if self.error is None:
            self.error = SchedulerConnectionError("the client was disconnected")
        for job in self._followers():
            job._wake()

    def _run(self) -> None:
        while True:
            try:
                message = self._subscription.next()
            except TaskmonError as error:
                if self._stopping:
                    return
                self.error = error
                for job in self._followers():
                    job._wake()
                return
            except Exception as error:  # a bug here must not leave waiters hanging
                log.exception("taskmon: the event thread failed")
                self.error = error
                for job in self._followers():
                    job._wake()
                return
            method = message.get("method")
            params = message.get("params") or {}
            try:
                if method == "event":
                    self._dispatch(params)
                elif method == "resync":
                    self._resync()
            except TaskmonError:
                if self._stopping:
                    return
                log.exception("taskmon: could not handle an event from the scheduler")

    def _dispatch(self, event: Dict[str, Any]) -> None:
        kind = event.get("type", "")
        data = event.get("data") or {}
        job_id: Any = data.get("job_id") if kind.startswith("task_") else data.get("id")
        with self.registration:
            followers = list(self._jobs.get(job_id, []))
        for job in followers:
            if kind == "task_status_changed":
                job._on_status_changed(data)
            elif kind == "task_progress":
                job._on_progress(data)
            elif kind == "job_completed":
                job._finish()

    def _resync(self) -> None:
        """We fell behind and were dropped: subscribe again, then catch up from a snapshot."""
        old = self._subscription
        self._subscription = Subscription(self._socket_path, None, self._client_name, self._timeout)
        old.close()
        for job in self._followers():
            job._catch_up()
