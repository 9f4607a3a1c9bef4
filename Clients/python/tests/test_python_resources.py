"""Cores and memory through the native client: job.resources and add_task(..., resources=)."""

import pytest

import pyclient_tasks
from taskmon import SchedulerError, TaskStatus


def test_a_job_of_two_core_tasks_on_two_slots_runs_one_at_a_time(client, tmp_path):
    job = client.create_job()
    job.resources = {"cores": 2, "memory_mb": 16}
    for _ in range(3):
        job.add_task(pyclient_tasks.CountsAlive(str(tmp_path)))
    job.submit()
    assert job.wait_until_done(60)
    assert [t.task_status for t in job.tasks] == [TaskStatus.COMPLETED] * 3
    assert [t.result for t in job.tasks] == [1, 1, 1]


@pytest.mark.xfail(reason="in CI the two 1-core tasks did not overlap in 2 of 3 runs (passes alone); "
                          "undiagnosed: see issue 10's note", strict=False)
def test_a_task_own_ask_replaces_the_jobs(client, tmp_path):
    job = client.create_job()
    job.resources = {"cores": 2}
    job.add_task(pyclient_tasks.CountsAlive(str(tmp_path), linger=0.0, until=2), resources={"cores": 1})
    job.add_task(pyclient_tasks.CountsAlive(str(tmp_path), linger=0.0), resources={"cores": 1})
    job.submit()
    assert job.wait_until_done(60)
    assert max(t.result for t in job.tasks) == 2, "two 1-core tasks share the 2 slots"


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
