"""Cores and memory through the native client: job.resources and add_task(..., resources=)."""

import threading

import pytest

import pyclient_tasks
from taskmon import SchedulerError, TaskStatus


class RunningTogether:
    """Follows a job's task_state_changed events (the scheduler's order): which tasks are
    RUNNING, the most at once, and when ``count`` of them were RUNNING at the same time."""

    def __init__(self, count):
        self.count = count
        self.running = set()
        self.most = 0
        self.reached = threading.Event()

    def __call__(self, task, previous, status):
        if status == TaskStatus.RUNNING:
            self.running.add(task.id)
        else:
            self.running.discard(task.id)
        self.most = max(self.most, len(self.running))
        if len(self.running) >= self.count:
            self.reached.set()


def test_a_job_of_two_core_tasks_on_two_slots_runs_one_at_a_time(client, tmp_path):
    job = client.create_job()
    job.resources = {"cores": 2, "memory_mb": 16}
    for _ in range(3):
        job.add_task(pyclient_tasks.CountsAlive(str(tmp_path)))
    watch = RunningTogether(2)
    job.task_state_changed += watch
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED] * 3
    assert [t.result for t in job.tasks] == [1, 1, 1]
    assert watch.most == 1, "the scheduler had two 2-core tasks RUNNING on 2 slots"


def test_a_task_own_ask_replaces_the_jobs(client, tmp_path):
    # Both tasks run until the test says go, and it says so only once the scheduler reports
    # both RUNNING at once: no race between the two hosts' starts (issue 10: when the second
    # task's host started first, a task that ended at once was gone before the other began).
    go = tmp_path / "go"
    job = client.create_job()
    job.resources = {"cores": 2}
    for _ in range(2):
        job.add_task(pyclient_tasks.WaitsForGo(str(go)), resources={"cores": 1})
    watch = RunningTogether(2)
    job.task_state_changed += watch
    job.submit()
    try:
        together = watch.reached.wait(60)
        statuses = [t.task_status for t in job.tasks]
    finally:
        go.touch()
    assert together, "two 1-core tasks of a 2-core job were not RUNNING at once on 2 slots: %s" % statuses
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED] * 2
    assert [t.result for t in job.tasks] == ["went", "went"]


@pytest.mark.parametrize("resources, error", [
    ({"gpus": 1}, ValueError),
    ({"cores": 0}, ValueError),
    ({"cores": 1.5}, TypeError),
    ({"memory_mb": True}, TypeError),
    ([("cores", 2)], TypeError),
])
def test_bad_resources_are_refused_before_anything_is_sent(client, resources, error):
    job = client.create_job()
    with pytest.raises(error):
        job.add_task(pyclient_tasks.Echo("x"), resources=resources)


def test_more_cores_than_slots_is_refused_by_the_scheduler(client):
    job = client.create_job()
    job.resources = {"cores": 3}
    job.add_task(pyclient_tasks.Echo("x"))
    with pytest.raises(SchedulerError, match=r"resources\.cores.*3 cores.*2 slot.*could never start here"):
        job.submit()
    assert job.id is None
