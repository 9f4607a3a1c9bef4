"""Retrying finished tasks (taskmon's own; the reference has no retry): one request, then the
client's jobs whose tasks run again are followed again, so that waits and events see the new
attempts."""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Tuple

__all__ = ["RetryOutcome", "run", "run_many", "task_refs", "job_ids"]

# Refs per `retry_tasks` request: well inside the scheduler's bounds (a million; a 64 MiB line).
BATCH = 100_000


class RetryOutcome(NamedTuple):
    """What a retry of many tasks did (``taskmon retry JOB --failed``)."""

    retried: int
    """Tasks queued again, as new attempts."""
    unchanged: int
    """Tasks left as they were: not finished yet, or not there (also a job that is not there)."""
    first_problem: Optional[str]
    """Why the first of those was left, in the scheduler's words; None when none was."""


def _whole(value: Any, what: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be a whole number, not %r" % (what, value))
    if value < least:
        raise ValueError("%s must be at least %d, not %d" % (what, least, value))
    return value


def task_refs(tasks: Iterable[Any]) -> Tuple[List[Dict[str, int]], List[Any]]:
    """``[{"job_id", "task_id"}]`` from Task objects or ``(job_id, task_id)`` pairs, and the Job
    objects among them."""
    from taskmon._task import Task
    refs: List[Dict[str, int]] = []
    jobs: List[Any] = []
    for index, task in enumerate(tasks):
        if isinstance(task, Task):
            task.job._require_submitted()
            refs.append({"job_id": task.job.id, "task_id": task.id})
            jobs.append(task.job)
        elif isinstance(task, tuple) and len(task) == 2:
            refs.append({"job_id": _whole(task[0], "tasks[%d]'s job id" % index, 1),
                         "task_id": _whole(task[1], "tasks[%d]'s task id" % index, 0)})
        else:
            raise TypeError("tasks[%d] must be a Task or a (job_id, task_id) pair, not %r" % (index, task))
    return refs, jobs


def job_ids(jobs: Iterable[Any]) -> Tuple[List[int], List[Any]]:
    """Job ids from Job objects or ids, and the Job objects among them."""
    from taskmon._job import Job
    ids: List[int] = []
    objects: List[Any] = []
    for index, job in enumerate(jobs):
        if isinstance(job, Job):
            job._require_submitted()
            assert job.id is not None
            ids.append(job.id)
            objects.append(job)
        else:
            ids.append(_whole(job, "failed_of_jobs[%d]" % index, 1))
    return ids, objects


def run(scheduler: Any, method: str, params: Dict[str, Any], jobs: Iterable[Any]) -> Any:
    """Sends one retry request, then has each of ``jobs`` (and every Job object of this client
    with one of the ids concerned) forget what it cached and follow its tasks' new attempts.

    The request and that check happen with the client's event registration held, so that no
    event of a job that runs again is dropped before its Job follows it again.
    """
    listener = scheduler._events()
    concerned = {job.id for job in jobs} | {ref["job_id"] for ref in params.get("tasks", [])} \
        | set(params.get("failed_of_jobs", []))
    if method == "retry":
        concerned.add(params["job_id"])
    with listener.registration:
        answer = scheduler._call(method, params)
        # Which jobs run again comes from the answer itself: asking each job afterwards raced
        # with its new attempts, which may have finished it again already (then its Job stayed
        # "done" and their events were never delivered to it).
        if method == "retry":
            again = {params["job_id"]}  # a refused retry raised above
        elif "retried_jobs" in answer:
            again = {int(job_id) for job_id in answer["retried_jobs"]}
        else:
            again = None  # an older scheduler: each job is asked
        for job in scheduler._jobs_with_ids(concerned) | set(jobs):
            job._after_retry(listener, None if again is None else job.id in again)
    return answer


def run_many(scheduler: Any, refs: List[Dict[str, int]], failed_of: List[int], jobs: List[Any]) -> RetryOutcome:
    """``retry_tasks`` in batches of at most :data:`BATCH` refs and job ids; the outcomes summed."""
    retried = unchanged = 0
    problem: Optional[str] = None
    batches: List[Tuple[List[Dict[str, int]], List[int]]] = \
        [(refs[i:i + BATCH], []) for i in range(0, len(refs), BATCH)] + \
        [([], failed_of[i:i + BATCH]) for i in range(0, len(failed_of), BATCH)]
    for task_batch, job_batch in batches:
        answer = run(scheduler, "retry_tasks", {"tasks": task_batch, "failed_of_jobs": job_batch}, jobs)
        retried += int(answer.get("retried", 0))
        unchanged += int(answer.get("unchanged", 0))
        if problem is None:
            problem = answer.get("first_problem")
    return RetryOutcome(retried, unchanged, problem)
