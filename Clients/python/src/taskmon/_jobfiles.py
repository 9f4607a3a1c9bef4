"""The client's files for each job: ``STATE_DIR/python/<folder>/``.

A job's folder holds its task payloads (``task-N.pickle``), its environment payload, a
setup's pickled exception, results too large for the channel, and ``job`` (the job's id,
written once it is submitted). It lives in the scheduler's state dir, beside the job's own
output, so that a host can read it on whatever machine the state dir is shared with, and so
that a task can run again (a retry from the monitor) after the client has gone.

Folders are removed by a later client when their job has been finished for longer than the
retention (a day by default), when the scheduler no longer knows their job, or when they
never got a job (a submission that failed) and are an hour old.
"""

from __future__ import annotations

import datetime
import os
import shutil
import tempfile
import time
from typing import Any, Optional

from taskmon.errors import SchedulerError, TaskmonError

__all__ = ["JobFiles", "DEFAULT_RETENTION"]

DEFAULT_RETENTION = 24 * 3600.0
ORPHAN_AGE = 3600.0
JOB_MARKER = "job"


def _parse_time(text: Optional[str]) -> Optional[float]:
    if not text:
        return None
    text = text.replace("Z", "+00:00")
    try:
        return datetime.datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


class JobFiles:
    """The folder of the client's per-job folders in one state dir."""

    def __init__(self, state_dir: str):
        self.root = os.path.join(state_dir, "python")

    def new_folder(self) -> str:
        os.makedirs(self.root, mode=0o700, exist_ok=True)
        return tempfile.mkdtemp(dir=self.root, prefix="job-")

    @staticmethod
    def mark_submitted(folder: str, job_id: int) -> None:
        with open(os.path.join(folder, JOB_MARKER), "w") as f:
            f.write("%d\n" % job_id)

    @staticmethod
    def remove(folder: str) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    def collect(self, connection: Any, retention: float = DEFAULT_RETENTION, now: Optional[float] = None) -> int:
        """Removes the folders no longer needed (see the module's docs); returns how many."""
        now = time.time() if now is None else now
        try:
            names = os.listdir(self.root)
        except OSError:
            return 0
        removed = 0
        for name in names:
            folder = os.path.join(self.root, name)
            if not name.startswith("job-") or not os.path.isdir(folder):
                continue
            if self._expired(folder, connection, retention, now):
                self.remove(folder)
                removed += 1
        return removed

    @staticmethod
    def _expired(folder: str, connection: Any, retention: float, now: float) -> bool:
        try:
            with open(os.path.join(folder, JOB_MARKER)) as f:
                job_id = int(f.read().strip())
        except (OSError, ValueError):
            try:
                return now - os.stat(folder).st_mtime > ORPHAN_AGE
            except OSError:
                return False
        try:
            job = connection.call("get_job", {"job_id": job_id, "include_tasks": False})
        except SchedulerError as error:
            return bool(error.code == SchedulerError.NOT_FOUND)
        except TaskmonError:
            return False
        finished = _parse_time(job.get("finished_at"))
        return finished is not None and now - finished > retention
